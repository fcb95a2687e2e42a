from typing import Annotated

from pydantic import field_validator
from pydantic_settings import NoDecode

from lumi_shared.settings import BaseServiceSettings, host_list, split_csv


class Settings(BaseServiceSettings):
    SERVICE_NAME: str = "gateway"
    PORT: int = 8000

    AUTH_URL: str = "http://127.0.0.1:8001"
    GENERATION_URL: str = "http://127.0.0.1:8002"
    MODELING_URL: str = "http://127.0.0.1:8003"
    PRINTING_URL: str = "http://127.0.0.1:8004"
    GALLERY_URL: str = "http://127.0.0.1:8005"

    # Exact origins allowed to call the API from a browser (credentials allowed for these).
    CORS_ORIGINS: Annotated[list[str], NoDecode] = []
    # http://localhost:* and http://127.0.0.1:* are allowed too; defaults to on in dev profiles.
    CORS_ALLOW_LOCALHOST: bool | None = None

    # TRUSTED_PROXIES (base settings): proxies in front of the gateway (e.g. the ingress pods).
    # Only when the peer is one of them is X-Forwarded-For read, right to left, skipping trusted
    # hops: the first other address is the client. Empty = the peer is the client.

    MAX_BODY_BYTES: int = 10 * 1024 * 1024
    MAX_HEADER_BYTES: int = 32 * 1024  # all request headers together; more is a 431
    UPSTREAM_CONNECT_TIMEOUT: float = 3.0
    UPSTREAM_TIMEOUT: float = 30.0
    UPSTREAM_MAX_CONNECTIONS: int = 200

    SESSION_CACHE_TTL: float = 30.0
    SESSION_CACHE_SIZE: int = 10_000
    SESSION_COOKIE_NAMES: Annotated[list[str], NoDecode] = ["__Host-lumi_session", "lumi_session"]
    IDENTITY_TTL: int = 60

    SSE_HEARTBEAT: float = 30.0  # seconds between `heartbeat` frames
    SSE_CLIENT_BUFFER: int = 256
    SSE_MAX_CLIENTS: int = 10_000  # open streams on one replica; more is a 503
    SSE_MAX_STREAMS_PER_USER: int = 20  # open streams of one user, all replicas; more is a 429
    SSE_LEASE_SECONDS: float = 90.0  # a dead replica's streams stop counting after this
    # Stable name of this replica (Kubernetes: the pod name; `make run-services`: host:port): a
    # replica restarting under the same name drops its crashed predecessor's leases at once.
    # Empty: a random name per start (leases of a crash then lapse after SSE_LEASE_SECONDS).
    # Two live replicas must never share a name.
    SSE_REPLICA_NAME: str = ""
    # Resume history per task (collection `sse_history`): the last N frames, none older than
    # SSE_HISTORY_SECONDS; beyond that a reconnecting client gets a fresh `task:init`.
    SSE_HISTORY_FRAMES: int = 200
    SSE_HISTORY_SECONDS: float = 600.0

    # Image and model proxy (/api/proxy/image|model, api-contract §1.7): https on the default
    # port to these hosts only (".x.com" = x.com and its subdomains on a label boundary, other
    # entries exact; never a substring), public addresses only, bounded in size and time.
    PROXY_IMAGE_HOSTS: str = ".myqcloud.com,.aliyuncs.com,.siliconflow.cn"
    PROXY_MODEL_HOSTS: str = ".tencentcos.cn,.myqcloud.com"
    PROXY_IMAGE_MAX_BYTES: int = 20 * 1024 * 1024
    PROXY_MODEL_MAX_BYTES: int = 100 * 1024 * 1024
    PROXY_ZIP_MAX_ENTRIES: int = 64
    PROXY_ZIP_MAX_BYTES: int = 200 * 1024 * 1024  # uncompressed, entry and total
    PROXY_TIMEOUT: float = 20.0
    PROXY_CONNECT_TIMEOUT: float = 3.0
    PROXY_MAX_REDIRECTS: int = 3
    # Absolute origin put in front of /api/proxy/model in rewritten MTL files; "" = same origin.
    PROXY_BASE_URL: str = ""

    # Folder served at /files when storage is local (default: $LUMI_DATA_DIR/files).
    FILES_DIR: str | None = None

    @field_validator("CORS_ORIGINS", "SESSION_COOKIE_NAMES", mode="before")
    @classmethod
    def _split_csv(cls, value: object) -> object:
        return split_csv(value)

    host_list = staticmethod(host_list)

    @property
    def allow_localhost(self) -> bool:
        return self.is_dev if self.CORS_ALLOW_LOCALHOST is None else self.CORS_ALLOW_LOCALHOST

    def service_urls(self) -> dict[str, str]:
        return {"auth": self.AUTH_URL, "generation": self.GENERATION_URL,
                "modeling": self.MODELING_URL, "printing": self.PRINTING_URL,
                "gallery": self.GALLERY_URL}
