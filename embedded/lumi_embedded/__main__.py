"""`make run`: the whole Lumi system in ONE process, no Docker, no servers to install.

The six services run their real code, each on its own loopback port, sharing an in-process
broker (same topic routing, asynchronous delivery) and the in-process document store
(each service in its own database, persisted under $LUMI_DATA_DIR/db). Simulated providers.
"""

import asyncio
import contextlib
import os
import signal
import socket
from pathlib import Path

import structlog
import uvicorn

from lumi_shared.docstore import InMemoryClient
from lumi_shared.messaging import InMemoryBus
from lumi_shared.observability import configure_logging

SERVICES = ("auth", "generation", "modeling", "printing", "gallery")
log = structlog.get_logger("lumi.embedded")


class _Server(uvicorn.Server):
    """Signals are handled once for all servers by the runner."""

    @contextlib.contextmanager
    def capture_signals(self):
        yield


def _socket(host: str, port: int) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.set_inheritable(True)
    return sock


def build(data_dir: Path, port: int, host: str = "127.0.0.1"):
    """Create the shared infrastructure and the six apps; returns (bus, store, [(name, app, sock)])."""
    from auth.config import Settings as AuthSettings
    from auth.main import create_app as auth_app
    from gallery.config import Settings as GallerySettings
    from gallery.main import create_app as gallery_app
    from gateway.config import Settings as GatewaySettings
    from gateway.main import create_app as gateway_app
    from generation.config import Settings as GenerationSettings
    from generation.main import create_app as generation_app
    from modeling.config import Settings as ModelingSettings
    from modeling.main import create_app as modeling_app
    from printing.config import Settings as PrintingSettings
    from printing.main import create_app as printing_app

    bus = InMemoryBus(parked_file=data_dir / "parked-events.jsonl")
    store = InMemoryClient(data_dir / "db")
    sockets = {name: _socket(host, 0) for name in SERVICES}
    urls = {f"{name.upper()}_URL": f"http://{host}:{s.getsockname()[1]}"
            for name, s in sockets.items()}
    public = f"http://localhost:{port}"
    common = {"LUMI_ENV": "embedded", "LUMI_DATA_DIR": data_dir, "HOST": host,
              "STORAGE_PUBLIC_BASE_URL": f"{public}/files", **urls}
    factories = {
        "auth": (AuthSettings, auth_app), "generation": (GenerationSettings, generation_app),
        "modeling": (ModelingSettings, modeling_app), "printing": (PrintingSettings, printing_app),
        "gallery": (GallerySettings, gallery_app),
    }
    apps = []
    for name, (settings_cls, factory) in factories.items():
        settings = settings_cls(**common, PORT=sockets[name].getsockname()[1])
        apps.append((name, factory(settings, mongo=store, bus=bus), sockets[name]))
    gateway_settings = GatewaySettings(**common, PORT=port)
    apps.append(("gateway", gateway_app(gateway_settings, bus=bus), _socket(host, port)))
    return bus, store, apps


async def main_async(data_dir: Path, port: int, host: str) -> None:
    bus, store, apps = build(data_dir, port, host)
    servers = [(_Server(uvicorn.Config(app, log_config=None, lifespan="on", server_header=False,
                                       timeout_graceful_shutdown=3)), sock)
               for _, app, sock in apps]
    await bus.start()
    store.start_maintenance()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    tasks = [asyncio.create_task(server.serve(sockets=[sock])) for server, sock in servers]
    log.info("lumi_running", url=f"http://localhost:{port}", data_dir=str(data_dir))
    waiter = asyncio.create_task(stop.wait())
    await asyncio.wait([waiter, *tasks], return_when=asyncio.FIRST_COMPLETED)
    log.info("lumi_stopping")
    gateway_server = servers[-1][0]
    gateway_server.should_exit = True  # stop taking requests first, then the services
    await asyncio.wait_for(asyncio.gather(tasks[-1], return_exceptions=True), 5)
    for server, _ in servers[:-1]:
        server.should_exit = True
    await asyncio.wait_for(asyncio.gather(*tasks, return_exceptions=True), 5)
    await bus.stop()
    await store.aclose()
    log.info("lumi_stopped")


def main() -> None:
    port = int(os.environ.get("PORT", "8000"))
    host = os.environ.get("HOST", "127.0.0.1")
    data_dir = Path(os.environ.get("LUMI_DATA_DIR", "./var")).resolve()
    configure_logging("embedded", os.environ.get("LOG_LEVEL", "INFO"),
                      os.environ.get("LOG_FORMAT", "auto"))
    asyncio.run(main_async(data_dir, port, host))


if __name__ == "__main__":
    main()
