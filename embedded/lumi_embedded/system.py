"""The whole system in one process: the six services' real apps on loopback sockets.

Embedded mode (default): one in-process broker and one in-process document store shared by
all services (each service keeps its own database in it). With `rabbit_url`, every service
instead owns its own RabbitMQ connection, exactly as separate processes would.
"""

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import structlog
import uvicorn
from sse_starlette.sse import AppStatus

from lumi_shared.docstore import InMemoryClient
from lumi_shared.messaging import InMemoryBus
from lumi_shared.service import uvicorn_options

SERVICES = ("auth", "generation", "modeling", "printing", "gallery")
log = structlog.get_logger("lumi.embedded")


class _Server(uvicorn.Server):
    """Signals are handled once, by the runner, for all servers."""

    @contextlib.contextmanager
    def capture_signals(self):
        yield


def _socket(host: str, port: int) -> socket.socket:
    # proto IPPROTO_TCP: the stdlib event loop sets TCP_NODELAY on accepted connections only
    # for sockets that say so; with proto 0 every keep-alive answer waited ~40 ms for the
    # peer's delayed ACK (Nagle). (`make run` runs on the stdlib loop.)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.bind((host, port))
    return sock


def _factories() -> dict[str, tuple[type, Callable[..., Any]]]:
    from auth.config import Settings as AuthSettings
    from auth.main import create_app as auth_app
    from gallery.config import Settings as GallerySettings
    from gallery.main import create_app as gallery_app
    from generation.config import Settings as GenerationSettings
    from generation.main import create_app as generation_app
    from modeling.config import Settings as ModelingSettings
    from modeling.main import create_app as modeling_app
    from printing.config import Settings as PrintingSettings
    from printing.main import create_app as printing_app

    return {"auth": (AuthSettings, auth_app), "generation": (GenerationSettings, generation_app),
            "modeling": (ModelingSettings, modeling_app),
            "printing": (PrintingSettings, printing_app),
            "gallery": (GallerySettings, gallery_app)}


@dataclass
class System:
    url: str
    data_dir: Path
    apps: dict[str, Any]
    bus: InMemoryBus | None
    store: InMemoryClient | None
    servers: list[tuple[str, _Server, socket.socket]] = field(default_factory=list)


def build(data_dir: Path, port: int = 0, host: str = "127.0.0.1", *,
          rabbit_url: str | None = None, mongo_for: Callable[[str], Any] | None = None,
          overrides: dict[str, dict[str, Any]] | None = None) -> System:
    from gateway.config import Settings as GatewaySettings
    from gateway.main import create_app as gateway_app

    overrides = overrides or {}
    shared_bus = None if rabbit_url else InMemoryBus(parked_file=data_dir / "parked-events.jsonl")
    store = None if mongo_for else InMemoryClient(data_dir / "db")
    gateway_socket = _socket(host, port)
    public = f"http://localhost:{gateway_socket.getsockname()[1]}"
    sockets = {name: _socket(host, 0) for name in SERVICES}
    common: dict[str, Any] = {
        "LUMI_ENV": "embedded", "LUMI_DATA_DIR": data_dir, "HOST": host,
        "STORAGE_PUBLIC_BASE_URL": f"{public}/files", "RABBITMQ_URL": rabbit_url,
        "STUDIO_WEBHOOK_URL": f"{public}/api/generation/webhook",  # the provider calls the gateway
        **{f"{name.upper()}_URL": f"http://{host}:{s.getsockname()[1]}" for name, s in sockets.items()},
    }
    system = System(public, data_dir, {}, shared_bus, store)
    for name, (settings_cls, factory) in _factories().items():
        settings = settings_cls(**{**common, "PORT": sockets[name].getsockname()[1],
                                   **overrides.get(name, {})})
        mongo = mongo_for(name) if mongo_for else store
        system.apps[name] = factory(settings, mongo=mongo, bus=shared_bus)
    gateway = gateway_app(GatewaySettings(**{**common, "PORT": gateway_socket.getsockname()[1],
                                             **overrides.get("gateway", {})}),
                          mongo=mongo_for("gateway") if mongo_for else store, bus=shared_bus)
    system.apps["gateway"] = gateway
    for name, app in system.apps.items():
        config = uvicorn.Config(app, lifespan="on", timeout_graceful_shutdown=3, access_log=False,
                                **uvicorn_options(app.state.settings))
        sock = gateway_socket if name == "gateway" else sockets[name]
        system.servers.append((name, _Server(config), sock))
    return system


@contextlib.asynccontextmanager
async def running_system(data_dir: Path, port: int = 0, host: str = "127.0.0.1",
                         **kwargs: Any) -> AsyncIterator[System]:
    system = build(data_dir, port, host, **kwargs)
    AppStatus.should_exit = False
    if system.bus:
        await system.bus.start()
    if system.store:
        system.store.start_maintenance()
    tasks: dict[str, asyncio.Task] = {}
    try:
        for name, server, sock in system.servers:  # services first, the gateway last
            tasks[name] = asyncio.create_task(server.serve(sockets=[sock]))
            while not server.started:
                if tasks[name].done():
                    tasks[name].result()
                    raise RuntimeError(f"{name} exited during start-up")
                await asyncio.sleep(0.01)
        log.info("lumi_running", url=system.url, data_dir=str(data_dir),
                 broker="rabbitmq" if kwargs.get("rabbit_url") else "in-process")
        yield system
    finally:
        # Our runner owns the signals, so tell open SSE streams to end, or the gateway's
        # graceful shutdown would wait for them.
        AppStatus.should_exit = True
        for name, server, _ in reversed(system.servers):  # stop taking requests first
            server.should_exit = True
            if name in tasks:
                await asyncio.wait_for(asyncio.gather(tasks[name], return_exceptions=True), 8)
        if system.bus:
            await system.bus.stop()
        if system.store:
            await system.store.aclose()
        for _, _, sock in system.servers:
            sock.close()
        log.info("lumi_stopped")
