from lumi_shared.settings import BaseServiceSettings


class Settings(BaseServiceSettings):
    SERVICE_NAME: str = "gallery"
    PORT: int = 8005

    AUTH_URL: str = ""
    """Base URL of the auth service for owner display names; empty -> neutral fallback names."""
    USER_CACHE_SECONDS: float = 60.0
    USER_LOOKUP_TIMEOUT: float = 1.0
    VIEW_DEDUPE_SECONDS: int = 3600
    LIST_CACHE_SECONDS: float = 2.0
    """How long a public gallery page may be reused; 0 disables the cache."""
