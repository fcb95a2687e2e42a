"""Fixtures of the gallery tests: an app on an in-process store and bus, a fake user
directory, event builders, and a store wrapper that interleaves concurrent coroutines."""

import asyncio
import random
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from itertools import count
from typing import Any

import pytest

from gallery.config import Settings
from gallery.main import create_app
from lumi_shared.contracts import ModelDeleted, ModelFiles, ModelReady, ModelUpdated
from lumi_shared.docstore import InMemoryClient
from lumi_shared.messaging import InMemoryBus
from lumi_shared.testing import as_user, running

T0 = datetime(2025, 1, 1, tzinfo=UTC)
_ids = count(1)


class FakeUserDirectory:
    """Implements `UserDirectory`: fixed names, records lookups, can simulate an outage."""

    def __init__(self, users: dict[str, dict[str, Any]] | None = None) -> None:
        self.users = users or {}
        self.calls: list[list[str]] = []
        self.down = False

    async def lookup(self, ids: Sequence[str]) -> dict[str, dict[str, Any]]:
        self.calls.append(list(ids))
        if self.down:
            raise ConnectionError("auth is down")
        return {i: self.users[i] for i in ids if i in self.users}

    async def aclose(self) -> None:
        return None


def ready_event(model_id: str, user_id: str = "owner", *, version: int = 5,
                visibility: str = "PUBLIC", name: str | None = None,
                published_at: datetime | None = None, owner_name: str | None = "Owner",
                minutes: int = 0) -> ModelReady:
    at = T0 + timedelta(minutes=minutes)
    return ModelReady(
        task_id=f"task-{model_id}", user_id=user_id, model_id=model_id, version=version,
        name=name or f"Model {model_id}", visibility=visibility, owner_name=owner_name,
        files=ModelFiles(model_url=f"http://files/{model_id}.glb", format="GLB",
                         glb_url=f"http://files/{model_id}.glb",
                         preview_image_url=f"http://files/{model_id}.png", file_size=1234,
                         face_count=10, vertex_count=12),
        created_at=at, completed_at=at,
        published_at=published_at or (at if visibility == "PUBLIC" else None))


def updated_event(model_id: str, user_id: str = "owner", *, version: int,
                  visibility: str = "PUBLIC", name: str = "Renamed",
                  description: str | None = "A description") -> ModelUpdated:
    return ModelUpdated(model_id=model_id, user_id=user_id, version=version, name=name,
                        description=description, visibility=visibility,
                        published_at=T0 + timedelta(days=1) if visibility == "PUBLIC" else None)


def deleted_event(model_id: str, user_id: str = "owner", *, version: int) -> ModelDeleted:
    return ModelDeleted(model_id=model_id, user_id=user_id, version=version)


def new_id(prefix: str = "m") -> str:
    return f"{prefix}{next(_ids):05d}"


class Gallery:
    """The running gallery app with its bus: publish events, then call the API."""

    def __init__(self, client: Any, bus: InMemoryBus, mongo: InMemoryClient,
                 directory: FakeUserDirectory, app: Any) -> None:
        self.client, self.bus, self.mongo, self.directory, self.app = (
            client, bus, mongo, directory, app)
        self.db = mongo["lumi_gallery"]

    async def publish(self, *events: Any) -> None:
        for event in events:
            await self.bus.publish(event)
        await self.bus.drain()

    async def ready(self, model_id: str | None = None, user_id: str = "owner",
                    **kw: Any) -> str:
        model_id = model_id or new_id()
        await self.publish(ready_event(model_id, user_id, **kw))
        return model_id

    async def get(self, url: str, user: str | None = None, **kw: Any) -> Any:
        headers = {**(as_user(user) if user else {}), **kw.pop("headers", {})}
        return await self.client.get(url, headers=headers, **kw)

    async def post(self, url: str, user: str | None = None, **kw: Any) -> Any:
        headers = {**(as_user(user) if user else {}), **kw.pop("headers", {})}
        return await self.client.post(url, headers=headers, **kw)


@pytest.fixture
def directory() -> FakeUserDirectory:
    return FakeUserDirectory({"owner": {"id": "owner", "name": "Ada", "avatar": "http://a/1.png"}})


@pytest.fixture
async def gallery(directory: FakeUserDirectory):
    bus, mongo = InMemoryBus(), InMemoryClient()
    settings = Settings(LUMI_ENV="test", AUTH_URL="", LIST_CACHE_SECONDS=0)
    app = create_app(settings, mongo=mongo, bus=bus, user_directory=directory)
    async with running(app) as client:
        await bus.start()
        try:
            yield Gallery(client, bus, mongo, directory, app)
        finally:
            await bus.stop()


# -- a store whose operations yield to the event loop, so concurrent use cases interleave


class _Yielding:
    def __init__(self, target: Any, rng: random.Random) -> None:
        self._target, self._rng = target, rng

    async def _pause(self) -> None:
        for _ in range(self._rng.randint(0, 3)):
            await asyncio.sleep(0)

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._target, name)
        if name == "find":
            def find(*a: Any, **kw: Any) -> Any:
                return _Yielding(attr(*a, **kw), self._rng)
            return find
        if name in ("sort", "skip", "limit"):
            def chain(*a: Any, **kw: Any) -> Any:
                attr(*a, **kw)
                return self
            return chain
        if asyncio.iscoroutinefunction(attr):
            async def call(*a: Any, **kw: Any) -> Any:
                await self._pause()
                result = await attr(*a, **kw)
                await self._pause()
                return result
            return call
        return attr


class YieldingDatabase:
    """Wraps an in-process database: every operation stays atomic but yields before and after,
    like a network round trip, so `asyncio.gather`ed use cases really race."""

    def __init__(self, db: Any, seed: int = 7) -> None:
        self._db, self._rng = db, random.Random(seed)

    def __getitem__(self, name: str) -> Any:
        return _Yielding(self._db[name], self._rng)


@pytest.fixture
def racy_db() -> YieldingDatabase:
    return YieldingDatabase(InMemoryClient()["lumi_gallery"])


@pytest.fixture
def ev() -> Any:
    """Event builders: `ev.ready(...)`, `ev.updated(...)`, `ev.deleted(...)`, `ev.new_id()`."""
    from types import SimpleNamespace

    return SimpleNamespace(ready=ready_event, updated=updated_event, deleted=deleted_event,
                           new_id=new_id, T0=T0)
