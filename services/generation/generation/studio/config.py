"""Settings of studio tools (mixed into the generation service's Settings)."""

from typing import Literal

from pydantic import model_validator
from pydantic_settings import BaseSettings

DEV_WEBHOOK_SECRET = "whsec_ZGV2LW9ubHktc3R1ZGlvLXdlYmhvb2stc2VjcmV0LWNoYW5nZS1tZQ=="


class StudioSettings(BaseSettings):
    AUTH_URL: str = "http://127.0.0.1:8001"
    CREDITS_TIMEOUT: float = 5.0

    STUDIO_PROVIDER: Literal["simulated", "kie"] = "simulated"
    KIE_BASE_URL: str = "https://api.kie.ai"
    KIE_API_KEY: str | None = None
    STUDIO_PROVIDER_BASE_URL: str = ""  # simulated: empty = this service's own /sim/kie
    STUDIO_RESULT_HOSTS: str = ""  # comma-separated hosts result URLs may come from
    STUDIO_WEBHOOK_URL: str = ""  # public URL of POST /api/generation/webhook
    STUDIO_WEBHOOK_SECRET: str = DEV_WEBHOOK_SECRET
    STUDIO_WEBHOOK_TOLERANCE: int = 300
    STUDIO_CALLBACK_GRACE: float = 60.0  # then the reconciler asks the provider
    STUDIO_DEADLINE: float = 900.0  # then the generation fails and is refunded
    STUDIO_PENDING_TIMEOUT: float = 120.0
    STUDIO_RECONCILE_INTERVAL: float = 10.0
    STUDIO_MAX_REFERENCE_IMAGES: int = 4
    STUDIO_MAX_URL_LENGTH: int = 2048
    STUDIO_MAX_RESULT_IMAGES: int = 8
    STUDIO_SIMULATED_DELAY: float = 2.0

    @property
    def studio_self_url(self) -> str:
        host = getattr(self, "HOST", "127.0.0.1")
        host = "127.0.0.1" if host in ("0.0.0.0", "::", "") else host
        return f"http://{host}:{getattr(self, 'PORT', 8002)}"

    @property
    def studio_webhook_url(self) -> str:
        return self.STUDIO_WEBHOOK_URL or f"{self.studio_self_url}/api/generation/webhook"

    @property
    def studio_result_hosts(self) -> tuple[str, ...]:
        hosts = tuple(h.strip().lower() for h in self.STUDIO_RESULT_HOSTS.split(",") if h.strip())
        if not hosts and self.STUDIO_PROVIDER == "simulated":
            return ("127.0.0.1",)
        return hosts

    def secret_fields(self) -> tuple[str, ...]:
        return (*super().secret_fields(), "STUDIO_WEBHOOK_SECRET")  # type: ignore[misc]

    @model_validator(mode="after")
    def _studio_provider_ready(self) -> "StudioSettings":
        if getattr(self, "LUMI_ENV", "dev") == "prod" and \
                self.STUDIO_WEBHOOK_SECRET == DEV_WEBHOOK_SECRET:
            raise ValueError("STUDIO_WEBHOOK_SECRET must be set to a random secret")
        if self.STUDIO_PROVIDER == "kie":
            if not self.KIE_API_KEY:
                raise ValueError("KIE_API_KEY is required when STUDIO_PROVIDER=kie")
            if not self.studio_result_hosts:
                raise ValueError("STUDIO_RESULT_HOSTS is required when STUDIO_PROVIDER=kie")
        return self
