"""Composition root of the gateway, the only public service. Its rooms: `forwarding` (route
table -> service), `identity` (caller, CSRF, client address), `sse` (live task progress),
`assets` (image/model proxy), `ops` (workers status, dead letters), `docs` (merged OpenAPI),
`files` (stored files); CORS and limits are middlewares."""

from typing import Any

from fastapi import FastAPI

from lumi_shared.service import build_infra, create_service_app, run_service

from . import assets, docs, forwarding, ops, sse
from .config import Settings
from .cors import EdgeMiddleware
from .deps import Deps
from .files import mount_files
from .history import HISTORY_QUEUE, HISTORY_QUEUE_AGE, HISTORY_QUEUE_LENGTH
from .legacy_health import legacy_health_router
from .limits import HeaderLimitMiddleware


def create_app(settings: Settings | None = None, *, mongo: Any = None, bus: Any = None,
               fetcher: Any = None) -> FastAPI:
    """`fetcher`: the proxy's SafeFetcher (tests inject one that reaches their upstream)."""
    settings = settings or Settings()
    infra = build_infra(settings, mongo=mongo, bus=bus)
    deps = Deps(settings, infra.db, fetcher=fetcher)

    async def subscribe() -> None:  # every event, each replica: SSE frames, session evictions
        await deps.history.ensure_indexes()
        await deps.leases.ensure_indexes()
        await deps.leases.forget_previous_life()
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
