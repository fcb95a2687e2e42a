"""What the gateway's rooms need, built once per app by the composition root (`main`)."""

from typing import Any

from lumi_shared.contracts import Event, SessionRevoked
from lumi_shared.internal import InternalClient

from . import assets, ops, streams
from .config import Settings
from .cors import OriginPolicy
from .history import COLLECTION, History
from .hub import SseHub
from .identity import Identities
from .proxy import Upstreams
from .routes import ROUTES, RouteTable
from .sessions import SessionResolver
from .streams import StreamLeases


class Deps:
    """Everything a request handler needs, built once per app."""

    def __init__(self, settings: Settings, db: Any, *, fetcher: Any = None) -> None:
        self.settings = settings
        self.assets = assets.create_assets(settings, fetcher)
        self.table = RouteTable(ROUTES)
        self.policy = OriginPolicy(settings.CORS_ORIGINS, settings.allow_localhost)
        self.upstreams = Upstreams(settings.service_urls(),
                                   connect_timeout=settings.UPSTREAM_CONNECT_TIMEOUT,
                                   timeout=settings.UPSTREAM_TIMEOUT,
                                   max_connections=settings.UPSTREAM_MAX_CONNECTIONS)
        self.resolver = SessionResolver(
            InternalClient(settings.AUTH_URL, caller="gateway", secret=settings.IDENTITY_SECRET,
                           max_connections=settings.UPSTREAM_MAX_CONNECTIONS),
            ttl=settings.SESSION_CACHE_TTL, max_size=settings.SESSION_CACHE_SIZE)
        self.identities = Identities(settings, self.policy, self.resolver)
        self.operators = ops.Operators(self.upstreams, settings.IDENTITY_SECRET)
        self.history = History(db[COLLECTION], max_frames=settings.SSE_HISTORY_FRAMES,
                               max_age=settings.SSE_HISTORY_SECONDS)
        self.hub = SseHub(self.history, buffer=settings.SSE_CLIENT_BUFFER,
                          max_clients=settings.SSE_MAX_CLIENTS)
        self.leases = StreamLeases(db[streams.COLLECTION], cap=settings.SSE_MAX_STREAMS_PER_USER,
                                   lease=settings.SSE_LEASE_SECONDS,
                                   replica=settings.SSE_REPLICA_NAME or None)

    async def on_event(self, event: Event) -> None:
        if isinstance(event, SessionRevoked):
            self.resolver.evict(event.session_id)
        await self.hub.on_event(event, wait=False)  # the broadcast queue moves on

    async def service_ready(self, name: str) -> bool:
        status, _ = await self.upstreams.get_json(name, "/readyz", timeout=2.0)
        return status == 200

    async def aclose(self) -> None:
        await self.upstreams.aclose()
        await self.resolver.auth.aclose()
