import pytest
from pydantic import ValidationError

from generation.config import Settings
from generation.providers import (
    create_fetcher,
    create_image_provider,
    create_prompt_writer,
)
from generation.providers.dashscope import DashScopeImageProvider
from generation.providers.openai_chat import OpenAIChatPromptWriter
from generation.providers.siliconflow import SiliconFlowImageProvider
from generation.providers.simulated import SimulatedImageProvider, SimulatedPromptWriter


def test_defaults_are_the_simulated_providers_on_port_8002():
    settings = Settings(LUMI_ENV="test")
    assert (settings.SERVICE_NAME, settings.PORT) == ("generation", 8002)
    assert isinstance(create_image_provider(settings, create_fetcher(settings)),
                      SimulatedImageProvider)
    assert isinstance(create_prompt_writer(settings), SimulatedPromptWriter)


@pytest.mark.parametrize(("env", "missing"), [
    ({"IMAGE_PROVIDER": "siliconflow"}, "SILICONFLOW_API_KEY"),
    ({"IMAGE_PROVIDER": "dashscope"}, "DASHSCOPE_API_KEY"),
    ({"LLM_PROVIDER": "openai"}, "LLM_API_KEY")])
def test_a_real_provider_without_its_key_is_refused(env, missing):
    with pytest.raises(ValidationError, match=missing):
        Settings(LUMI_ENV="test", **env)


def test_real_providers_are_selected_by_settings():
    settings = Settings(LUMI_ENV="test", IMAGE_PROVIDER="dashscope", DASHSCOPE_API_KEY="k",
                        LLM_PROVIDER="openai", LLM_API_KEY="k",
                        FETCH_ALLOWED_HOSTS=" CDN.example.com , other.test")
    assert isinstance(create_image_provider(settings, create_fetcher(settings)),
                      DashScopeImageProvider)
    assert isinstance(create_prompt_writer(settings), OpenAIChatPromptWriter)
    assert settings.fetch_allowed_hosts == ("cdn.example.com", "other.test")
    settings = Settings(LUMI_ENV="test", IMAGE_PROVIDER="siliconflow", SILICONFLOW_API_KEY="k")
    assert isinstance(create_image_provider(settings, create_fetcher(settings)),
                      SiliconFlowImageProvider)


def test_the_image_lease_outlasts_the_whole_image_budget():
    settings = Settings(LUMI_ENV="test", IMAGE_DEADLINE=100)
    assert settings.image_lease_seconds == 160
