"""Settings of the modeling service (attribute names = environment variables)."""

from typing import Literal

from pydantic import model_validator

from lumi_shared.settings import BaseServiceSettings, host_list


class Settings(BaseServiceSettings):
    SERVICE_NAME: str = "modeling"
    PORT: int = 8003

    MODEL_PROVIDER: Literal["simulated", "hunyuan"] = "simulated"
    MODEL_DEFAULT_VISIBILITY: Literal["PUBLIC", "PRIVATE"] = "PUBLIC"
    # The file every client renders as `modelUrl`: OBJ (+ mtlUrl, textureUrl) is what both old
    # backends served and what the mobile app's OBJ-only viewer reads; glbUrl/stlUrl always ride along.
    MODEL_DEFAULT_FORMAT: Literal["GLB", "OBJ", "STL"] = "OBJ"

    # Jobs: attempts (claims) per run, backoff between attempts, time limits, worker pool.
    MODEL_MAX_ATTEMPTS: int = 3
    MODEL_RETRY_BASE_DELAY: float = 5.0
    MODEL_RETRY_MAX_DELAY: float = 60.0
    MODEL_ATTEMPT_TIMEOUT: float = 900.0
    MODEL_JOB_DEADLINE: float = 3600.0
    MODEL_JOB_LEASE: float = 30.0
    MODEL_WORKER_CONCURRENCY: int = 2
    MODEL_WORKER_POLL_INTERVAL: float = 2.0
    # A job's progress is written (and announced: ModelProgressed, consumed by generation,
    # the gateway's SSE history, ...) at most once per this many seconds; 0: every report.
    MODEL_PROGRESS_INTERVAL: float = 0.0
    MODEL_TOMBSTONE_TTL: float = 7 * 24 * 3600.0

    # Simulated provider: a relief of the image on a solid base (millimetres).
    MODEL_SIM_RESOLUTION: int = 80
    MODEL_SIM_SIZE_MM: float = 80.0
    MODEL_SIM_BASE_MM: float = 3.0
    MODEL_SIM_RELIEF_MM: float = 8.0
    MODEL_SIM_STEP_DELAY: float = 0.3  # pacing between stages, so progress is visible

    # Server-side fetches (source image, provider results): SSRF-safe, bounded.
    MODEL_FETCH_ALLOW_HTTP: bool = False
    MODEL_FETCH_TIMEOUT: float = 20.0
    MODEL_IMAGE_MAX_BYTES: int = 20 * 1024 * 1024

    # Tencent Hunyuan 3D (rapid).
    TENCENTCLOUD_SECRET_ID: str | None = None
    TENCENTCLOUD_SECRET_KEY: str | None = None
    TENCENTCLOUD_REGION: str = "ap-guangzhou"
    HUNYUAN_ENDPOINT: str = "ai3d.tencentcloudapi.com"
    HUNYUAN_VERSION: str = "2025-05-13"
    HUNYUAN_IMAGE_INPUT: Literal["base64", "url"] = "base64"
    HUNYUAN_POLL_INTERVAL: float = 3.0
    HUNYUAN_POLL_MAX_INTERVAL: float = 15.0
    HUNYUAN_TIMEOUT: float = 600.0
    HUNYUAN_REQUEST_TIMEOUT: float = 15.0
    HUNYUAN_RESULT_HOSTS: str = ".tencentcos.cn,.myqcloud.com,.tencentcloudapi.com"
    HUNYUAN_RESULT_MAX_BYTES: int = 100 * 1024 * 1024
    HUNYUAN_ZIP_MAX_ENTRIES: int = 64
    HUNYUAN_ZIP_MAX_TOTAL_BYTES: int = 300 * 1024 * 1024

    @model_validator(mode="after")
    def _provider_credentials(self) -> "Settings":
        if self.MODEL_PROVIDER == "hunyuan" and not (
                self.TENCENTCLOUD_SECRET_ID and self.TENCENTCLOUD_SECRET_KEY):
            raise ValueError("MODEL_PROVIDER=hunyuan needs TENCENTCLOUD_SECRET_ID and "
                             "TENCENTCLOUD_SECRET_KEY")
        if self.MODEL_MAX_ATTEMPTS < 1 or self.MODEL_WORKER_CONCURRENCY < 1:
            raise ValueError("MODEL_MAX_ATTEMPTS and MODEL_WORKER_CONCURRENCY must be >= 1")
        return self

    host_list = staticmethod(host_list)
