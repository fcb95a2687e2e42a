"""External adapters of the generation service, selected by settings."""

from .base import ImageProvider, PromptWriter, ProviderError
from .dashscope import DashScopeImageProvider
from .fetch import GuardedFetcher
from .openai_chat import OpenAIChatPromptWriter
from .siliconflow import SiliconFlowImageProvider
from .simulated import SimulatedImageProvider, SimulatedPromptWriter


def create_fetcher(settings) -> GuardedFetcher:
    return GuardedFetcher(max_bytes=settings.IMAGE_MAX_BYTES, timeout=settings.FETCH_TIMEOUT,
                          connect_timeout=settings.FETCH_CONNECT_TIMEOUT,
                          allowed_hosts=settings.fetch_allowed_hosts,
                          allow_http_loopback=settings.FETCH_ALLOW_HTTP_LOOPBACK)


def create_image_provider(settings, fetcher: GuardedFetcher) -> ImageProvider:
    if settings.IMAGE_PROVIDER == "siliconflow":
        return SiliconFlowImageProvider(
            base_url=settings.SILICONFLOW_BASE_URL, api_key=settings.SILICONFLOW_API_KEY,
            model=settings.SILICONFLOW_IMAGE_MODEL, image_size=settings.SILICONFLOW_IMAGE_SIZE,
            fetcher=fetcher, timeout=settings.PROVIDER_HTTP_TIMEOUT)
    if settings.IMAGE_PROVIDER == "dashscope":
        return DashScopeImageProvider(
            base_url=settings.DASHSCOPE_BASE_URL, api_key=settings.DASHSCOPE_API_KEY,
            model=settings.DASHSCOPE_IMAGE_MODEL, image_size=settings.DASHSCOPE_IMAGE_SIZE,
            poll_interval=settings.DASHSCOPE_POLL_INTERVAL, poll_timeout=settings.IMAGE_TIMEOUT,
            fetcher=fetcher, timeout=settings.PROVIDER_HTTP_TIMEOUT)
    return SimulatedImageProvider(latency=settings.SIMULATED_IMAGE_LATENCY,
                                  size=settings.SIMULATED_IMAGE_SIZE,
                                  failure_rate=settings.SIMULATED_IMAGE_FAILURE_RATE)


def create_prompt_writer(settings) -> PromptWriter:
    if settings.LLM_PROVIDER == "openai":
        return OpenAIChatPromptWriter(base_url=settings.LLM_BASE_URL, api_key=settings.LLM_API_KEY,
                                      model=settings.LLM_MODEL, timeout=settings.LLM_TIMEOUT)
    return SimulatedPromptWriter(latency=settings.SIMULATED_LLM_LATENCY)


__all__ = ["ImageProvider", "PromptWriter", "ProviderError", "GuardedFetcher",
           "create_fetcher", "create_image_provider", "create_prompt_writer"]
