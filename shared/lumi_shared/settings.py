"""Settings base: attribute names equal environment variable names."""

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import AliasChoices, Field, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from .secrets import derived_secret

DEV_SECRET = "dev-only-identity-secret-change-me-0123456789"
DEV_PROFILES = ("embedded", "dev", "test")
# settings whose value a repr (a log line, an error message, a debugger) never shows
SECRET_WORDS = ("SECRET", "TOKEN", "PASSWORD", "API_KEY", "ACCESS_KEY", "HMAC_KEY")
_URL_USERINFO = re.compile(r"//[^/@\s]*@")
_JSON_API_KEY = re.compile(r'("apiKey"\s*:\s*)"[^"]*"')


def redacted(name: str, value: Any) -> Any:
    """A setting's value as a repr may show it: secrets hidden, URL credentials and apiKeys too."""
    if any(word in name for word in SECRET_WORDS):
        return "[redacted]" if value else value
    if isinstance(value, str):
        return _JSON_API_KEY.sub(r'\1"[redacted]"', _URL_USERINFO.sub("//[redacted]@", value))
    return value


def split_csv(value: object) -> object:
    """A list setting given as `a,b` or as a JSON array."""
    if isinstance(value, str):
        if value.strip().startswith("["):
            return json.loads(value)
        return [v.strip() for v in value.split(",") if v.strip()]
    return value


class BaseServiceSettings(BaseSettings):
    model_config = SettingsConfigDict(extra="ignore", case_sensitive=True)

    SERVICE_NAME: str = "service"
    LUMI_ENV: Literal["embedded", "dev", "test", "prod"] = "dev"
    HOST: str = "127.0.0.1"
    PORT: int = 8000
    LOG_LEVEL: str = "INFO"
    LOG_FORMAT: Literal["auto", "json", "console"] = "auto"

    RABBITMQ_URL: str | None = None
    EVENT_DELIVERY_LIMIT: int = 5
    EVENT_PREFETCH: int = 10
    EVENT_PUBLISH_TIMEOUT: float = 10.0
    # a durable consumer retries an unreachable database or broker this long (backoff up to
    # 10 s) before the failure counts as one of EVENT_DELIVERY_LIMIT deliveries
    EVENT_TRANSIENT_RETRY: float = 60.0

    MONGODB_URL: str | None = None
    MONGODB_DB: str | None = None
    MONGODB_TIMEOUT_MS: int = 2500
    # Acknowledge a write only once it is in the database server's on-disk journal
    # (writeConcern j:true). With j:false a server killed with -9 loses the writes of its last
    # moments although it acknowledged them (SecantusDB: 37 of 300 inserts in a row), e.g. a
    # selection answered 200 whose task then still awaited a selection.
    MONGODB_JOURNAL: bool = True
    # Without MONGODB_URL a service keeps its data in process memory and loses it on exit.
    # Only the embedded and test profiles do that by default; elsewhere it must be asked for.
    ALLOW_IN_PROCESS_STORE: bool = False

    LUMI_DATA_DIR: Path = Path("./var")
    OUTBOX_POLL_INTERVAL: float = 1.0
    # Job queue settings (lumi_shared.queues): re-read this often besides the change events.
    QUEUE_CONFIG_REFRESH: float = 5.0

    STORAGE_BACKEND: Literal["local", "s3"] = "local"
    STORAGE_PUBLIC_BASE_URL: str = "http://localhost:8000/files"

    IDENTITY_SECRET: str = DEV_SECRET
    OTEL_EXPORTER_OTLP_ENDPOINT: str | None = None

    # CIDRs of the proxies in front of this process. Only a peer in them may set the client
    # address through X-Forwarded-For (uvicorn's proxy headers are off when empty).
    TRUSTED_PROXIES: Annotated[list[str], NoDecode] = []

    @field_validator("TRUSTED_PROXIES", mode="before")
    @classmethod
    def _split_proxies(cls, value: object) -> object:
        return split_csv(value)

    # Server-side downloads (lumi_shared.fetch): comma list of hosts, ".example.com" = that
    # domain and below; empty = any public host. MODEL_FETCH_ALLOWED_HOSTS: modeling's old name.
    FETCH_ALLOWED_HOSTS: str = Field("", validation_alias=AliasChoices(
        "FETCH_ALLOWED_HOSTS", "MODEL_FETCH_ALLOWED_HOSTS"))

    @property
    def fetch_allowed_hosts(self) -> tuple[str, ...]:
        return host_list(self.FETCH_ALLOWED_HOSTS)

    @property
    def is_dev(self) -> bool:
        return self.LUMI_ENV in DEV_PROFILES

    @property
    def database_name(self) -> str:
        return self.MONGODB_DB or f"lumi_{self.SERVICE_NAME}"

    def __repr_args__(self) -> Iterator[tuple[str | None, Any]]:
        for name, value in super().__repr_args__():
            yield name, redacted(name or "", value)

    def secret_fields(self) -> tuple[str, ...]:
        """Names of settings that must be real secrets outside dev profiles."""
        return ("IDENTITY_SECRET",)

    @model_validator(mode="after")
    def _refuse_placeholder_secrets(self) -> "BaseServiceSettings":
        if self.LUMI_ENV == "dev":  # placeholders become this installation's own secrets
            for name in self.secret_fields():
                if getattr(self, name) == type(self).model_fields[name].default:
                    setattr(self, name, derived_secret(self.LUMI_DATA_DIR, name))
        if self.is_dev:
            return self
        for name in self.secret_fields():
            value = getattr(self, name) or ""
            if len(value.encode()) < 32 or value == DEV_SECRET or "change-me" in value:
                raise ValueError(f"{name} must be set to a random secret of at least 32 bytes")
        return self


def host_list(value: str) -> tuple[str, ...]:
    """A comma-separated host setting, trimmed and lower-cased."""
    return tuple(h.strip().lower() for h in value.split(",") if h.strip())
