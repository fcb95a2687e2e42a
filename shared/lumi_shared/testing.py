"""Helpers for tests of any service: run an app with its lifespan, sign identities, poll."""

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager, contextmanager
from typing import Any

import httpx
from fastapi import FastAPI

from .contracts import Event
from .identity import IDENTITY_HEADER, Identity, client_ip_headers, sign_identity
from .settings import DEV_SECRET


@asynccontextmanager
async def running(app: FastAPI, base_url: str = "http://test") -> AsyncIterator[httpx.AsyncClient]:
    """Start `app`'s lifespan and yield an HTTP client talking to it in-process (the app is
    at `client.app`, for tests that look at its state)."""
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url=base_url) as client:
            client.app = app
            yield client


@asynccontextmanager
async def started(bus: Any) -> AsyncIterator[Any]:
    """The bus started for the block and stopped after it, whatever happens inside."""
    await bus.start()
    try:
        yield bus
    finally:
        await bus.stop()


def app_factory(create_app: Callable[..., FastAPI], settings: Any,
                **components: Any) -> Callable[..., FastAPI]:
    """A test's app builder: `create_app(settings, **components)`, any keyword (`settings`
    too) overriding the test's default."""
    def build(**overrides: Any) -> FastAPI:
        chosen = overrides.pop("settings", settings)
        return create_app(chosen, **{**components, **overrides})
    return build


def as_user(user_id: str, role: str = "user", secret: str = DEV_SECRET,
            session_id: str | None = None) -> dict[str, str]:
    """Headers a service receives from the gateway for this user. Valid for a day: tests build
    them at import time, and a suite runs longer than the gateway's 60-s identity lifetime."""
    return {IDENTITY_HEADER: sign_identity(Identity(user_id, role, session_id), secret,
                                           ttl_seconds=24 * 3600)}


def from_ip(client_ip: str, secret: str = DEV_SECRET) -> dict[str, str]:
    """Headers a service receives from the gateway for a caller at `client_ip`."""
    return client_ip_headers(client_ip, secret)


async def wait_for(predicate: Callable[[], Awaitable[Any] | Any], timeout: float = 5.0,
                   interval: float = 0.02) -> Any:
    """Poll until `predicate` returns something truthy; fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        result = predicate()
        if asyncio.iscoroutine(result):
            result = await result
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout}s")
        await asyncio.sleep(interval)


class _Served:
    """One app under a real uvicorn server on a free loopback port."""

    def __init__(self, app: Any, host: str) -> None:
        import socket

        import uvicorn

        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        self.sock.bind((host, 0))
        self.url = f"http://{host}:{self.sock.getsockname()[1]}"
        config = uvicorn.Config(app, log_config=None, lifespan="on", timeout_graceful_shutdown=1,
                                proxy_headers=False)
        self.server = uvicorn.Server(config)
        self.server.capture_signals = _no_signals  # type: ignore[method-assign]
        self.task: asyncio.Task | None = None

    async def start(self) -> None:
        self.task = asyncio.create_task(self.server.serve(sockets=[self.sock]))
        await wait_for(lambda: self.server.started or self.task.done(), timeout=10)
        if self.task.done():
            self.task.result()

    async def stop(self) -> None:
        self.server.should_exit = True
        if self.task:
            await asyncio.wait_for(self.task, 10)
        self.sock.close()


@asynccontextmanager
async def serve_apps(apps: dict[str, Any], host: str = "127.0.0.1") -> AsyncIterator[dict[str, str]]:
    """Run several apps under real servers at once; yields {name: base URL}."""
    served = {name: _Served(app, host) for name, app in apps.items()}
    try:
        await asyncio.gather(*(s.start() for s in served.values()))
        yield {name: s.url for name, s in served.items()}
    finally:
        await asyncio.gather(*(s.stop() for s in served.values()), return_exceptions=True)


@asynccontextmanager
async def serve_app(app: Any, host: str = "127.0.0.1") -> AsyncIterator[str]:
    """Run `app` under a real uvicorn server on a free port; yields its base URL."""
    async with serve_apps({"app": app}, host) as urls:
        yield urls["app"]


@contextmanager
def _no_signals():
    yield


class Recorder:
    """Every event published on the bus, in order."""

    def __init__(self) -> None:
        self.events: list[Event] = []

    async def __call__(self, event: Event) -> None:
        self.events.append(event)

    def of(self, kind: type[Event], **match: Any) -> list[Any]:
        return [e for e in self.events if isinstance(e, kind)
                and all(getattr(e, k) == v for k, v in match.items())]

    async def wait(self, kind: type[Event], timeout: float = 10.0, **match: Any) -> Any:
        return (await wait_for(lambda: self.of(kind, **match), timeout=timeout))[-1]
