"""Live, persisted settings of a service's job queue (admin API of api-contract §1.8).

A `QueueControl` holds one queue's `concurrency`, `timeout` (seconds per attempt), `retries`
(attempts after the first) and `active` (paused when false: no new job starts; running jobs
finish). The owning service stores them in its `queue_config` collection through the
AggregateStore, so a change and its `QueueConfigChanged` event are one write (outbox) and a
restart keeps them; every replica applies the event (broadcast subscription) and re-reads the
document every `refresh` seconds in case it missed one. Workers read `control.config`, run each job
in `async with control.slot()` (or check `active`), and register `on_change` to wake up.
"""

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator, Callable
from datetime import datetime
from typing import Any

import structlog
from pydantic import BaseModel, ConfigDict, Field
from pymongo.errors import DuplicateKeyError

from .aggregate import AggregateStore, Change
from .contracts import QueueConfigChanged
from .loop import BackgroundLoop
from .timeutil import iso

log = structlog.get_logger("lumi.queues")
COLLECTION = "queue_config"


class QueueConfig(BaseModel):
    concurrency: int = Field(ge=1, le=64, description="Jobs run at once per replica")
    timeout: float = Field(gt=0, le=86_400, description="Seconds one attempt may take")
    retries: int = Field(ge=0, le=20, description="Attempts after the first")
    active: bool = Field(True, description="False = paused: no new job starts")


def _at_least_one_value(schema: dict[str, Any]) -> None:
    """What the route accepts: at least one field, none of them null."""
    for prop in schema["properties"].values():
        prop.update(next(s for s in prop.pop("anyOf") if s.get("type") != "null"))
        prop.pop("default", None)
    schema["minProperties"] = 1


class QueuePatch(BaseModel):
    """Only these fields; anything else is a 400."""

    model_config = ConfigDict(extra="forbid", json_schema_extra=_at_least_one_value)
    concurrency: int | None = Field(None, ge=1, le=64, strict=True)
    timeout: float | None = Field(None, gt=0, le=86_400)
    retries: int | None = Field(None, ge=0, le=20, strict=True)
    active: bool | None = Field(None, strict=True)


class QueueView(QueueConfig):
    name: str
    service: str
    version: int = Field(description="Grows with every change")
    updatedAt: str | None = None
    updatedBy: str | None = Field(None, description="Id of the admin who changed it last")


class QueueStatus(QueueView):
    """A queue's settings with its live figures (jobs in the database, every replica)."""

    waiting: int = 0
    running: int = Field(0, description="Jobs running now")
    completed: int = 0
    failed: int = 0
    runningIds: list[str] = Field(default_factory=list, description="Up to 50 running job ids")
    consumers: int | None = Field(None, description="Consumers of the event queue feeding it")
    retryDelayBase: float | None = None
    retryDelayMax: float | None = None


FIELDS = tuple(QueueConfig.model_fields)


class JobCounts:
    """Where a queue's jobs live and which documents are waiting, running (with their ids),
    completed and failed: read from the database, so the figures cover every replica."""

    def __init__(self, collection: Any, *, waiting: dict, running: dict, completed: dict,
                 failed: dict) -> None:
        self.collection = collection
        self.filters = {"waiting": waiting, "running": running, "completed": completed,
                        "failed": failed}

    async def read(self, max_ids: int = 50) -> dict[str, Any]:
        counts = {name: await self.collection.count_documents(f)
                  for name, f in self.filters.items()}
        docs = await self.collection.find(self.filters["running"], {"_id": 1}).limit(
            max_ids).to_list(max_ids)
        return {**counts, "runningIds": [str(d["_id"]) for d in docs]}


class QueueControl:
    def __init__(self, name: str, service: str, defaults: QueueConfig, collection: Any, *,
                 on_outbox: Callable[[], None] | None = None, refresh: float = 5.0,
                 counts: JobCounts | None = None, feed: str | None = None,
                 retry_delay: tuple[float, float] | None = None) -> None:
        """`counts`: the jobs in the database; `feed`: the event queue that brings new jobs
        (its consumers are reported); `retry_delay`: (base, max) seconds between attempts."""
        self.name, self.service, self.config = name, service, defaults
        self.counts, self.feed, self.retry_delay = counts, feed, retry_delay
        self.version, self.updated_at, self.updated_by = 0, None, None
        self.store = AggregateStore(collection, on_outbox=on_outbox)
        self._active = asyncio.Event()
        self._active.set()
        self._listeners: list[Callable[[], None]] = []
        self._changed = asyncio.Event()  # set on every change and every released slot
        self.in_flight = 0  # slots held in this process (see `slot`)
        self.loop = BackgroundLoop(f"queue-config-{name}", self.load, interval=refresh)

    @property
    def active(self) -> bool:
        return self.config.active

    def on_change(self, listener: Callable[[], None]) -> None:
        self._listeners.append(listener)

    async def wait_active(self) -> None:
        await self._active.wait()

    @contextlib.asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        """Run one job: waits while the queue is paused or `concurrency` jobs of this process
        already run (both read live), and frees the slot afterwards."""
        while not (self.config.active and self.in_flight < self.config.concurrency):
            self._changed.clear()
            await self._changed.wait()
        self.in_flight += 1
        try:
            yield
        finally:
            self.in_flight -= 1
            self._changed.set()

    def view(self) -> QueueView:
        return QueueView(name=self.name, service=self.service, version=self.version,
                         updatedAt=iso(self.updated_at) if self.updated_at else None,
                         updatedBy=self.updated_by, **self.config.model_dump())

    def _apply(self, values: dict[str, Any], version: int, updated_at: datetime | None,
               updated_by: str | None) -> None:
        if version <= self.version:
            return
        self.config = QueueConfig(**{f: values[f] for f in FIELDS})
        self.version, self.updated_at, self.updated_by = version, updated_at, updated_by
        if self.config.active:
            self._active.set()
        else:
            self._active.clear()
        self._changed.set()
        for listener in self._listeners:
            listener()

    async def load(self) -> None:
        doc = await self.store.find_one({"_id": self.name})
        if doc:
            self._apply(doc, doc["version"], doc.get("updatedAt"), doc.get("updatedBy"))

    async def start(self) -> None:
        await self.load()
        self.loop.start()

    async def stop(self) -> None:
        await self.loop.stop()

    async def on_event(self, event: QueueConfigChanged) -> None:
        if isinstance(event, QueueConfigChanged) and event.queue == self.name:
            self._apply(event.model_dump(), event.version, event.occurred_at, event.actor_id)

    async def status(self, bus: Any) -> QueueStatus:
        figures = await self.counts.read() if self.counts else {}
        consumers = None
        if self.feed and hasattr(bus, "consumer_count"):
            consumers = await bus.consumer_count(self.feed)
        base, most = self.retry_delay or (None, None)
        return QueueStatus(**self.view().model_dump(), **figures, consumers=consumers,
                           retryDelayBase=base, retryDelayMax=most)

    async def update(self, patch: dict[str, Any], actor_id: str) -> QueueView:
        """Persist the changed fields with their event; apply them here at once."""
        def transition(doc: dict[str, Any], now: datetime) -> Change | None:
            merged = {**{f: doc[f] for f in FIELDS}, **patch}
            if merged == {f: doc[f] for f in FIELDS}:
                return None
            version = doc["version"] + 1
            return Change(set={**merged, "version": version, "updatedAt": now,
                               "updatedBy": actor_id},
                          events=[QueueConfigChanged(queue=self.name, version=version,
                                                     actor_id=actor_id, **merged)])

        query = {"_id": self.name}
        mutation = await self.store.mutate(query, transition)
        if mutation is None:
            try:
                await self.store.insert({"_id": self.name, "service": self.service,
                                         "version": 0, **self.config.model_dump()})
            except DuplicateKeyError:
                pass
            mutation = await self.store.mutate(query, transition)
        doc = mutation.doc
        if mutation.changed:
            log.info("queue_config_changed", queue=self.name, admin_id=actor_id,
                     changes=patch, version=doc["version"])
        self._apply(doc, doc["version"], doc.get("updatedAt"), doc.get("updatedBy"))
        return self.view()


def lifecycle(bus: Any, service: str, controls: list[QueueControl]) -> tuple[Any, Any]:
    """Start-up and shutdown hooks of a service's queue controls: a broadcast subscription to
    `QueueConfigChanged` (every replica applies every change), then the stored settings."""
    async def start() -> None:
        async def apply(event: Any) -> None:
            for control in controls:
                await control.on_event(event)

        bus.subscribe_broadcast(f"{service}.queues.{uuid.uuid4().hex[:8]}", apply,
                                pattern=QueueConfigChanged.routing_key)
        for control in controls:
            await control.start()

    async def stop() -> None:
        for control in controls:
            await control.stop()

    return start, stop
