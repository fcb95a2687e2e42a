"""Composition root of the gateway, the only public service. Its rooms: `forwarding` (route
table -> service), `identity` (caller, CSRF, client address), `sse` (live task progress),
`assets` (image/model proxy), `ops` (workers status, dead letters), `docs` (merged OpenAPI),
`files` (stored files); CORS and limits are middlewares."""

from typing import Any

from fastapi import FastAPI

from lumi_shared.contracts import Event, SessionRevoked
from lumi_shared.internal import InternalClient
from lumi_shared.service import build_infra, create_service_app, run_service

from . import assets, docs, forwarding, ops, sse, streams
from .config import Settings
from .cors import EdgeMiddleware, OriginPolicy
from .files import mount_files
from .history import (
    COLLECTION,
    HISTORY_QUEUE,
    HISTORY_QUEUE_AGE,
    HISTORY_QUEUE_LENGTH,
    History,
)
from .hub import SseHub
from .identity import Identities
from .legacy_health import legacy_health_router
from .limits import HeaderLimitMiddleware
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
                                   lease=settings.SSE_LEASE_SECONDS)

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


def create_app(settings: Settings | None = None, *, mongo: Any = None, bus: Any = None,
               fetcher: Any = None) -> FastAPI:
    """`fetcher`: the proxy's SafeFetcher (tests inject one that reaches their upstream)."""
    settings = settings or Settings()
    infra = build_infra(settings, mongo=mongo, bus=bus)
    deps = Deps(settings, infra.db, fetcher=fetcher)

    async def subscribe() -> None:  # every event, each replica: SSE frames, session evictions
        await deps.history.ensure_indexes()
        await deps.leases.ensure_indexes()
        deps.leases.loop.start()
        infra.bus.subscribe_broadcast("gateway", deps.on_event)
        # and, kept while no replica runs, every event for the SSE history (one replica at a time)
        infra.bus.subscribe_shared(HISTORY_QUEUE, deps.hub.record,
                                   max_length=HISTORY_QUEUE_LENGTH, max_age=HISTORY_QUEUE_AGE)

    async def unsubscribe() -> None:  # a shared bus outlives this app; a new one may subscribe
        if not infra.owns_bus and hasattr(infra.bus, "unsubscribe"):
            infra.bus.unsubscribe("gateway")
            infra.bus.unsubscribe(HISTORY_QUEUE)

    checks = {name: (lambda n=name: deps.service_ready(n)) for name in settings.service_urls()}
    routers = [docs.router(deps), sse.router(deps), assets.router(deps), ops.router(deps),
               legacy_health_router(broker=infra.bus.ping, services=checks)]
    app = create_service_app(infra=infra, title="Lumi gateway", routers=routers,
                             startup=[subscribe],
                             shutdown=[unsubscribe, deps.leases.release_all, deps.aclose],
                             ready_checks=checks, docs=False)
    app.state.gateway = deps
    mount_files(app, settings)
    app.add_middleware(forwarding.Forwarding, deps=deps, own_routes=routers)
    app.add_middleware(EdgeMiddleware, policy=deps.policy, hsts=not settings.is_dev)
    app.add_middleware(HeaderLimitMiddleware, max_bytes=settings.MAX_HEADER_BYTES)
    return app


def run() -> None:
    run_service(Settings, create_app)
