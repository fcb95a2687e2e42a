"""Fixtures of the generation tests: the app on the in-process store and bus, a controllable
clock, a recorder of every published event, and `settle()` to wait for the whole pipeline."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from generation.config import Settings
from generation.domain import ImageStatus, RequestPhase, RequestStatus
from generation.domain import task as tasks
from generation.domain.clock import truncate_ms
from generation.main import create_app
from generation.providers.modeling import ModelingUnavailable
from lumi_shared.docstore import InMemoryClient
from lumi_shared.messaging import InMemoryBus
from lumi_shared.testing import as_user, running, started


class Clock:
    """Real time shifted by `advance()`, or frozen at one instant by `freeze()`."""

    def __init__(self) -> None:
        self.offset = timedelta()
        self.frozen: datetime | None = None

    def __call__(self) -> datetime:
        return truncate_ms(self.frozen or datetime.now(UTC) + self.offset)

    def advance(self, seconds: float) -> None:
        self.offset += timedelta(seconds=seconds)
        if self.frozen:
            self.frozen += timedelta(seconds=seconds)

    def freeze(self) -> datetime:
        self.frozen = self()
        return self.frozen


class FakeModeling:
    """modeling's internal answer about a task's model, as a test sets it."""

    def __init__(self) -> None:
        self.truth: dict[str, Any] = {}  # task id -> event; absent: modeling has no model
        self.down = False
        self.asked: list[str] = []

    async def model_of(self, task_id: str) -> Any:
        self.asked.append(task_id)
        if self.down:
            raise ModelingUnavailable()
        return self.truth.get(task_id)

    async def aclose(self) -> None:
        return None


class Harness:
    def __init__(self, client: httpx.AsyncClient, app: Any, bus: InMemoryBus,
                 events: list, clock: Clock) -> None:
        self.client, self.app, self.bus, self.events, self.clock = client, app, bus, events, clock
        self.generation = app.state.generation
        self.modeling = self.generation.sweeper.modeling

    async def settle(self) -> None:
        """Publish every outbox entry and run every consumer until nothing moves any more."""
        relay = self.generation.relay
        for _ in range(100):
            before = self.bus.published
            await self.bus.drain()
            await relay.run_once()
            await self.bus.drain()
            if self.bus.published == before:
                return
        raise AssertionError("the pipeline did not settle")

    def published(self, routing_key: str, task_id: str | None = None) -> list:
        return [e for e in self.events if e.routing_key == routing_key
                and (task_id is None or getattr(e, "task_id", None) == task_id)]

    async def create(self, prompt: str = "a small red dragon", user: str = "u1") -> dict:
        response = await self.client.post("/api/tasks", json={"prompt": prompt},
                                          headers=as_user(user))
        assert response.status_code == 201, response.text
        return response.json()["data"]

    async def task(self, task_id: str, user: str = "u1") -> dict:
        response = await self.client.get(f"/api/tasks/{task_id}", headers=as_user(user))
        assert response.status_code == 200, response.text
        return response.json()["data"]

    async def ready_task(self, prompt: str = "a small red dragon", user: str = "u1") -> dict:
        task = await self.create(prompt, user)
        await self.settle()
        return await self.task(task["id"], user)

    async def select(self, task_id: str, index: int = 0, user: str = "u1") -> httpx.Response:
        return await self.client.patch(f"/api/tasks/{task_id}", json={"selectedImageIndex": index},
                                       headers=as_user(user))

    async def deliver(self, event: Any) -> None:
        await self.bus.publish(event)
        await self.settle()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def settings(tmp_path) -> Settings:
    return Settings(LUMI_ENV="test", LUMI_DATA_DIR=tmp_path, SIMULATED_IMAGE_LATENCY=0.01,
                    SIMULATED_LLM_LATENCY=0.0, IMAGE_RETRY_BASE_DELAY=0.0, SWEEP_INTERVAL=0,
                    IMAGE_TIMEOUT=2.0, STORAGE_PUBLIC_BASE_URL="http://files.test/files")


@asynccontextmanager
async def open_harness(settings: Settings, clock: Clock, **overrides: Any) -> AsyncIterator[Harness]:
    bus = InMemoryBus(retry_base_delay=0.0)
    events: list = []

    async def record(event: Any) -> None:
        events.append(event)

    bus.subscribe_broadcast("recorder", record)
    overrides.setdefault("modeling", FakeModeling())
    async with started(bus):
        app = create_app(settings, mongo=InMemoryClient(), bus=bus, clock=clock, **overrides)
        async with running(app) as client:
            yield Harness(client, app, bus, events, clock)


@pytest.fixture
async def harness(open_app) -> AsyncIterator[Harness]:
    async with open_app() as h:
        yield h


def awaiting_selection(now: datetime, prompt: str = "a red dragon") -> tuple[dict, Any]:
    """A new task of u1 (document, TaskCreated) whose four images are done: IMAGE_COMPLETED,
    awaiting the owner's selection."""
    doc, event = tasks.new_task("u1", prompt, now)
    for i, image in enumerate(doc["images"]):
        image.update(imageStatus=ImageStatus.COMPLETED, imageUrl=f"http://files/{i}.png")
    doc.update(status=RequestStatus.IMAGE_COMPLETED, phase=RequestPhase.AWAITING_SELECTION)
    return doc, event


def apply_change(doc: dict, change: Any) -> dict:
    """What the repository's `$set` does to a document, for pure domain tests."""
    import copy

    out = copy.deepcopy(doc)
    for path, value in change.set.items():
        node: Any = out
        parts = path.split(".")
        for part in parts[:-1]:
            node = node[int(part)] if isinstance(node, list) else node[part]
        last = parts[-1]
        if isinstance(node, list):
            node[int(last)] = copy.deepcopy(value)
        else:
            node[last] = copy.deepcopy(value)
    for field, amount in change.inc.items():  # top-level counters
        out[field] = out.get(field, 0) + amount
    return out


@pytest.fixture
def apply():
    return apply_change


@pytest.fixture
def open_app(settings, clock):
    """`async with open_app(**settings_updates, overrides={...}) as harness:` for custom apps."""
    def factory(overrides: dict | None = None, **updates: Any):
        chosen = settings.model_copy(update=updates) if updates else settings
        return open_harness(chosen, clock, **(overrides or {}))

    return factory
