from typing import Literal

from pydantic import model_validator

from lumi_shared.settings import BaseServiceSettings

from .studio.config import StudioSettings


class Settings(StudioSettings, BaseServiceSettings):
    SERVICE_NAME: str = "generation"
    PORT: int = 8002

    IMAGE_PROVIDER: Literal["simulated", "siliconflow", "dashscope"] = "simulated"
    LLM_PROVIDER: Literal["simulated", "openai"] = "simulated"

    LLM_BASE_URL: str = "https://api.siliconflow.cn/v1"
    LLM_API_KEY: str | None = None
    LLM_MODEL: str = "deepseek-ai/DeepSeek-V3"
    LLM_TIMEOUT: float = 20.0

    SILICONFLOW_BASE_URL: str = "https://api.siliconflow.cn/v1"
    SILICONFLOW_API_KEY: str | None = None
    SILICONFLOW_IMAGE_MODEL: str = "Qwen/Qwen-Image"
    SILICONFLOW_IMAGE_SIZE: str = "1024x1024"

    DASHSCOPE_BASE_URL: str = "https://dashscope.aliyuncs.com"
    DASHSCOPE_API_KEY: str | None = None
    DASHSCOPE_IMAGE_MODEL: str = "qwen-image-plus"
    DASHSCOPE_IMAGE_SIZE: str = "1328*1328"
    DASHSCOPE_POLL_INTERVAL: float = 3.0

    PROVIDER_HTTP_TIMEOUT: float = 30.0
    IMAGE_CONCURRENCY: int = 4
    IMAGE_MAX_ATTEMPTS: int = 3
    IMAGE_TIMEOUT: float = 60.0
    IMAGE_DEADLINE: float = 150.0  # whole budget of one image, every attempt and backoff included
    IMAGE_RETRY_BASE_DELAY: float = 2.0
    IMAGE_MAX_BYTES: int = 20 * 1024 * 1024

    FETCH_ALLOW_HTTP_LOOPBACK: bool = False  # tests only: plain http to 127.0.0.1
    FETCH_CONNECT_TIMEOUT: float = 5.0
    FETCH_TIMEOUT: float = 30.0

    SIMULATED_IMAGE_LATENCY: float = 0.4
    SIMULATED_IMAGE_SIZE: int = 512
    SIMULATED_IMAGE_FAILURE_RATE: float = 0.0
    SIMULATED_LLM_LATENCY: float = 0.05

    GENERATION_MAX_IN_FLIGHT: int = 5  # per user, tasks and studio generations; 0 = off
    GENERATION_RATE_PER_MINUTE: int = 20  # per user, sliding window

    SWEEP_INTERVAL: float = 30.0
    IMAGE_LEASE: float = 0.0  # 0 = IMAGE_DEADLINE + 60 s; the worker renews it every third
    SWEEP_RECOVERIES: int = 3  # times a task's dead images are handed back before they fail
    IMAGE_STALL_TIMEOUT: float = 900.0
    MODEL_STALL_TIMEOUT: float = 1800.0  # modeling has no model for the task by then: failed
    MODEL_RECONCILE_AFTER: float = 120.0  # a model task silent this long is checked with modeling
    MODELING_URL: str = "http://127.0.0.1:8003"
    MODELING_TIMEOUT: float = 5.0
    DELETED_PURGE_AFTER: float = 600.0

    S3_ENDPOINT: str | None = None
    S3_BUCKET: str | None = None
    S3_ACCESS_KEY: str | None = None
    S3_SECRET_KEY: str | None = None
    S3_REGION: str = "us-east-1"
    S3_PUBLIC_BASE_URL: str | None = None

    @property
    def image_lease_seconds(self) -> float:
        """How long a claimed image stays claimed without its worker renewing the lease."""
        return self.IMAGE_LEASE if self.IMAGE_LEASE > 0 else self.IMAGE_DEADLINE + 60.0

    @model_validator(mode="after")
    def _provider_keys_present(self) -> "Settings":
        needed = {"siliconflow": "SILICONFLOW_API_KEY", "dashscope": "DASHSCOPE_API_KEY"}
        key = needed.get(self.IMAGE_PROVIDER)
        if key and not getattr(self, key):
            raise ValueError(f"{key} is required when IMAGE_PROVIDER={self.IMAGE_PROVIDER}")
        if self.LLM_PROVIDER == "openai" and not self.LLM_API_KEY:
            raise ValueError("LLM_API_KEY is required when LLM_PROVIDER=openai")
        return self
