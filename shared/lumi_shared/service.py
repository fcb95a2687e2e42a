"""The common skeleton of a service's composition root: infrastructure, lifespan, health,
error mapping and request ids. Each service's `main.create_app` builds on `create_service_app`."""

import sys
from collections.abc import Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import structlog
import uvicorn
from fastapi import APIRouter, FastAPI

from . import heap, openapi, tracing
from .docstore import InMemoryClient
from .health import Check, health_router
from .http import RequestIdMiddleware, install_error_handlers
from .messaging import OutboxRelay, Subscription, create_bus
from .mongo import InProcessStoreRefused, close_client, create_mongo_client, ping
from .observability import configure_logging
from .ops_api import router as ops_router
from .settings import BaseServiceSettings

Hook = Callable[[], Awaitable[None]]
log = structlog.get_logger("lumi.service")


@dataclass
class Infra:
    """Database client and event bus of one service; shared ones are passed in, not owned."""

    settings: BaseServiceSettings
    mongo: Any
    bus: Any
    owns_mongo: bool = True
    owns_bus: bool = True

    @property
    def db(self) -> Any:
        return self.mongo[self.settings.database_name]


def build_infra(settings: BaseServiceSettings, *, mongo: Any = None, bus: Any = None,
                database: bool = True) -> Infra:
    """`database=False` for a service that keeps no data."""
    tracing.provider_for(settings.SERVICE_NAME, settings.OTEL_EXPORTER_OTLP_ENDPOINT)
    if not database:
        return Infra(settings, None, bus or create_bus(settings), owns_mongo=False,
                     owns_bus=bus is None)
    return Infra(settings, mongo or create_mongo_client(settings), bus or create_bus(settings),
                 owns_mongo=mongo is None, owns_bus=bus is None)


NO_NATIVE_TELEMETRY = {"tracing": False, "metrics": False, "logs": False, "operation_spans": False}


def create_service_app(
    *,
    infra: Infra,
    title: str,
    routers: Sequence[APIRouter] = (),
    subscriptions: Sequence[Subscription] = (),
    relay: OutboxRelay | None = None,
    startup: Sequence[Hook] = (),
    shutdown: Sequence[Hook] = (),
    ready_checks: dict[str, Check] | None = None,
    description: str = "",
    docs: bool = True,
) -> FastAPI:
    settings = infra.settings

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        for hook in startup:
            await hook()
        for subscription in subscriptions:
            infra.bus.subscribe(tracing.traced(subscription, settings.SERVICE_NAME))
        if infra.owns_bus:
            await infra.bus.start()
        if infra.owns_mongo and isinstance(infra.mongo, InMemoryClient):
            infra.mongo.start_maintenance()
        if relay:
            await relay.ensure_indexes()
            relay.start()
        heap.started()
        log.info("service_started", title=title, port=settings.PORT,
                 broker=type(infra.bus).__name__, database=type(infra.mongo).__name__)
        try:
            yield
        finally:
            if relay:
                await relay.stop()
            if infra.owns_bus:
                await infra.bus.stop()
            for hook in shutdown:
                await hook()
            if infra.owns_mongo:
                await close_client(infra.mongo)
            log.info("service_stopped", title=title)

    # No slash redirects: a redirect built from the Host header would leak this process's
    # internal address through the gateway (or send a browser off-site).
    # FastAPI's own telemetry is off: lumi_shared.tracing instruments each service with its
    # own provider, and the built-in layer asked the global provider on every request.
    app = FastAPI(title=title, description=description, version="1.0.0", lifespan=lifespan,
                  redirect_slashes=False, telemetry=NO_NATIVE_TELEMETRY,
                  **({} if docs else {"docs_url": None, "redoc_url": None, "openapi_url": None}))
    app.state.settings = settings
    app.state.infra = infra
    install_error_handlers(app)
    openapi.install(app)
    app.add_middleware(RequestIdMiddleware)
    checks: dict[str, Check] = {"broker": infra.bus.ping}
    if infra.mongo is not None:
        checks["mongo"] = lambda: ping(infra.mongo)
    checks.update(ready_checks or {})
    app.include_router(health_router(checks))
    app.include_router(ops_router)  # /internal/queues, /internal/dead-letters (service callers)
    for router in routers:
        app.include_router(router)
    tracing.instrument_app(app, settings.SERVICE_NAME, settings.OTEL_EXPORTER_OTLP_ENDPOINT)
    return app


def setup_logging(settings: BaseServiceSettings) -> None:
    configure_logging(settings.SERVICE_NAME, settings.LOG_LEVEL, settings.LOG_FORMAT)
    previous = sys.excepthook

    def refuse_clearly(kind, value, traceback) -> None:  # a start-up refusal, not a crash
        if isinstance(value, InProcessStoreRefused):
            print(f"lumi-{settings.SERVICE_NAME} refuses to start: {value}", file=sys.stderr)
            return
        previous(kind, value, traceback)

    sys.excepthook = refuse_clearly


# An idle keep-alive connection stays open this long (uvicorn's default is 5 s). It must outlast
# the idle timeout of every client that pools connections to us: the gateway's (60 s), the
# internal httpx clients' (5 s), an ingress's (nginx: 60 s); else a client may send a request
# on a connection the server is just closing. And after each 5 s pause the gateway had to open
# all its connections again: the first 50 concurrent requests after one waited up to 0.6 s.
KEEP_ALIVE_SECONDS = 75


def uvicorn_options(settings: BaseServiceSettings) -> dict[str, Any]:
    """Server options every runtime mode uses: only TRUSTED_PROXIES may set the client
    address (uvicorn would otherwise trust X-Forwarded-For from loopback), no Server header,
    idle connections kept `KEEP_ALIVE_SECONDS`."""
    trusted = list(settings.TRUSTED_PROXIES)
    return {"proxy_headers": bool(trusted), "forwarded_allow_ips": trusted or None,
            "server_header": False, "log_config": None, "timeout_keep_alive": KEEP_ALIVE_SECONDS}


def run_service(settings_cls: Callable[[], BaseServiceSettings],
                create_app: Callable[[Any], FastAPI]) -> None:
    """A service's `lumi-<service>` console script: settings from the environment, logging,
    the app on its port."""
    settings = settings_cls()
    setup_logging(settings)
    serve(create_app(settings), settings)


def serve(app: FastAPI, settings: BaseServiceSettings) -> None:
    """Run one service as its own process (the `lumi-<service>` console script)."""
    heap.settle_once_started()
    uvicorn.run(app, host=settings.HOST, port=settings.PORT, timeout_graceful_shutdown=5,
                **uvicorn_options(settings))
