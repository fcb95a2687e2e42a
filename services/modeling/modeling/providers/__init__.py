"""3D providers, selected by `MODEL_PROVIDER`."""

from typing import Any

from .base import GeneratedModel, JobReporter, ModelProvider, ProviderError, ProviderJob


def create_provider(settings: Any, *, fetcher: Any, transport: Any = None) -> ModelProvider:
    if settings.MODEL_PROVIDER == "hunyuan":
        from .hunyuan import HunyuanProvider

        return HunyuanProvider.from_settings(settings, fetcher=fetcher, transport=transport)
    from .simulated import SimulatedProvider

    return SimulatedProvider.from_settings(settings)


__all__ = ["GeneratedModel", "JobReporter", "ModelProvider", "ProviderError", "ProviderJob",
           "create_provider"]
