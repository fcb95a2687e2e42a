"""Helpers for tests of any service: run an app with its lifespan, sign identities, poll."""

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager, contextmanager
from typing import Any

import httpx
from fastapi import FastAPI

from .identity import IDENTITY_HEADER, Identity, sign_identity
from .settings import DEV_SECRET


@asynccontextmanager
async def running(app: FastAPI, base_url: str = "http://test") -> AsyncIterator[httpx.AsyncClient]:
    """Start `app`'s lifespan and yield an HTTP client talking to it in-process."""
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url=base_url) as client:
            yield client


def as_user(user_id: str, role: str = "user", secret: str = DEV_SECRET,
            session_id: str | None = None) -> dict[str, str]:
    """Headers a service receives from the gateway for this user."""
    return {IDENTITY_HEADER: sign_identity(Identity(user_id, role, session_id), secret)}


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


@asynccontextmanager
async def serve_app(app: Any, host: str = "127.0.0.1") -> AsyncIterator[str]:
    """Run `app` under a real uvicorn server on a free port; yields its base URL."""
    import socket

    import uvicorn

    sock = socket.socket()
    sock.bind((host, 0))
    config = uvicorn.Config(app, log_config=None, lifespan="on", timeout_graceful_shutdown=1)
    server = uvicorn.Server(config)
    server.capture_signals = _no_signals  # type: ignore[method-assign]
    task = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        await wait_for(lambda: server.started or task.done(), timeout=10)
        if task.done():
            task.result()
        yield f"http://{host}:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, 10)
        sock.close()


@contextmanager
def _no_signals():
    yield
