"""Settings of the auth service (attribute names are the environment variable names)."""

from pydantic import Field

from lumi_shared.settings import BaseServiceSettings

DEV_CODE_HMAC_KEY = "dev-only-code-hmac-key-change-me-0123456789"
COOKIE_BASE_NAME = "lumi_session"
HOST_PREFIX = "__Host-"
# Both names the cookie can have with the default setting (gateway: read either).
SESSION_COOKIE_NAMES = (f"{HOST_PREFIX}{COOKIE_BASE_NAME}", COOKIE_BASE_NAME)


class Settings(BaseServiceSettings):
    SERVICE_NAME: str = "auth"
    PORT: int = 8001

    CODE_LENGTH: int = Field(6, ge=4, le=8)
    CODE_TTL_SECONDS: int = Field(600, ge=60, le=600)
    CODE_MAX_ATTEMPTS: int = Field(5, ge=1, le=10)
    CODE_RESEND_COOLDOWN_SECONDS: int = Field(60, ge=1)
    CODE_SENDS_PER_EMAIL_PER_HOUR: int = Field(5, ge=1)
    CODE_SENDS_PER_IP_PER_HOUR: int = Field(20, ge=1)
    CODE_FAILURES_PER_EMAIL_PER_DAY: int = Field(20, ge=1)
    CODE_FAILURES_PER_IP_PER_HOUR: int = Field(20, ge=1)
    CODE_HMAC_KEY: str = DEV_CODE_HMAC_KEY

    SESSION_TTL_SECONDS: int = Field(30 * 24 * 3600, ge=60)
    SESSION_COOKIE_NAME: str = COOKIE_BASE_NAME
    SESSION_COOKIE_SECURE: bool | None = None

    ADMIN_EMAILS: str = ""
    STARTING_CREDITS: int = Field(10, ge=0)

    SMTP_URL: str | None = None
    SMTP_TIMEOUT: float = 10.0
    MAIL_FROM: str = "Lumi <no-reply@lumi.local>"

    GENERATION_URL: str = ""
    MODELING_URL: str = ""
    GALLERY_URL: str = ""
    STATS_TIMEOUT: float = Field(0.8, gt=0, le=5)

    def secret_fields(self) -> tuple[str, ...]:
        return (*super().secret_fields(), "CODE_HMAC_KEY")

    @property
    def cookie_secure(self) -> bool:
        if self.SESSION_COOKIE_SECURE is not None:
            return self.SESSION_COOKIE_SECURE
        return self.LUMI_ENV not in ("embedded", "dev")

    @property
    def session_cookie_name(self) -> str:
        """`__Host-lumi_session` when the cookie is Secure (prod, test), else `lumi_session`."""
        base = self.SESSION_COOKIE_NAME.removeprefix(HOST_PREFIX)
        return f"{HOST_PREFIX}{base}" if self.cookie_secure else base

    @property
    def admin_emails(self) -> frozenset[str]:
        return frozenset(e.strip().lower() for e in self.ADMIN_EMAILS.split(",") if e.strip())

    @property
    def codes_visible(self) -> bool:
        """Whether a login code may appear outside the e-mail (dev mailer, dev logs)."""
        return self.LUMI_ENV in ("embedded", "dev")
