"""pytest fixtures every service's tests share: storage, in-process store and broker, and an
event recorder. A service's conftest imports them by name (its own `settings` fixture first)."""

from collections.abc import AsyncIterator

import pytest

from .docstore import InMemoryClient
from .messaging import InMemoryBus
from .storage import LocalObjectStorage
from .testing import Recorder


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
