"""pytest fixtures every service's tests share: storage, in-process store and broker, an
event recorder, and an HTTP client of the app. A service's conftest gives its own `settings`
and either `make_app` (an app_factory) or `app`; any of these it defines again wins."""

import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest

from .docstore import InMemoryClient
from .messaging import InMemoryBus
from .storage import LocalObjectStorage
from .testing import Recorder, running


@pytest.fixture
def storage(settings) -> LocalObjectStorage:
    return LocalObjectStorage(settings.LUMI_DATA_DIR / "files", settings.STORAGE_PUBLIC_BASE_URL)


@pytest.fixture
def mongo() -> InMemoryClient:
    return InMemoryClient()


@pytest.fixture
async def bus() -> AsyncIterator[InMemoryBus]:
    bus = InMemoryBus(retry_base_delay=0.01)
    await bus.start()
    yield bus
    await bus.stop()


@pytest.fixture
async def recorder(bus) -> Recorder:
    rec = Recorder()
    bus.subscribe_broadcast("test-recorder", rec)
    return rec


@pytest.fixture
def app(make_app):
    return make_app()


@pytest.fixture
async def client(app):
    async with running(app) as http:
        yield http


@pytest.fixture
async def real_mongo(mongo_url) -> AsyncIterator[tuple[Any, str]]:
    """A client of the real MongoDB server (MONGODB_URL) and the name of a fresh database on
    it, dropped after the test."""
    from pymongo import AsyncMongoClient

    client = AsyncMongoClient(mongo_url, tz_aware=True, serverSelectionTimeoutMS=3000)
    name = f"lumi_test_{uuid.uuid4().hex[:12]}"
    try:
        yield client, name
    finally:
        await client.drop_database(name)
        await client.close()
