"""Printing's own database: the aggregates (slice jobs, print jobs, printers) written through
`AggregateStore`, and the projections of other services' events it needs (tasks, models).

Uniqueness is enforced by indexes, never check-then-insert: one active or completed slice per
(model, profile) and one active print job per task (`activeKey`), one owner per printer.
"""

from collections.abc import Callable
from datetime import datetime
from typing import Any

from pymongo.errors import DuplicateKeyError

from lumi_shared.aggregate import AggregateStore, load

PROJECTION_TRIES = 5


def _stamp(doc: dict[str, Any], now: datetime) -> dict[str, Any]:
    return {"updatedAt": now}


class Repository:
    def __init__(self, db: Any, *, on_outbox: Callable[[], None] | None = None,
                 clock: Callable[[], datetime] | None = None) -> None:
        kw: dict[str, Any] = {"on_outbox": on_outbox, "stamp": _stamp}
        if clock:
            kw["clock"] = clock
        self.slices = AggregateStore(db["slices"], **kw)
        self.jobs = AggregateStore(db["print_jobs"], **kw)
        self.printers = AggregateStore(db["printers"], **kw)
        self.tasks = db["tasks"]
        self.models = db["models"]

    @property
    def outbox_collections(self) -> list[Any]:
        return [self.slices.collection, self.jobs.collection, self.printers.collection]

    async def ensure_indexes(self) -> None:
        await self.slices.collection.create_index("activeKey", unique=True, name="slice_active")
        await self.slices.collection.create_index([("status", 1), ("leaseUntil", 1)],
                                                  name="slice_queue")
        await self.slices.collection.create_index("modelId", name="slice_model")
        await self.jobs.collection.create_index("activeKey", unique=True, name="job_active")
        await self.jobs.collection.create_index([("status", 1), ("leaseUntil", 1)],
                                                name="job_queue")
        await self.jobs.collection.create_index([("taskId", 1), ("createdAt", -1)],
                                                name="job_task")
        await self.jobs.collection.create_index("modelId", name="job_model")
        await self.printers.collection.create_index([("userId", 1), ("boundAt", -1)],
                                                    name="printer_user")
        await self.models.create_index("taskId", name="model_task")

    # ---- projections (versioned upserts; stale deliveries are dropped) ----

    async def project(self, collection: Any, key: str, version: int,
                      fields: dict[str, Any]) -> bool:
        for _ in range(PROJECTION_TRIES):
            result = await collection.update_one({"_id": key, "version": {"$lt": version}},
                                                 {"$set": {**fields, "version": version}})
            if result.matched_count:
                return True
            if await collection.find_one({"_id": key}) is not None:
                return False  # already as new or newer
            try:
                await collection.insert_one({"_id": key, **fields, "version": version})
                return True
            except DuplicateKeyError:
                continue
        return False

    async def model(self, model_id: str) -> dict[str, Any] | None:
        doc = await self.models.find_one({"_id": model_id})
        return load(doc) if doc else None

    async def model_of_task(self, task_id: str) -> dict[str, Any] | None:
        doc = await self.models.find_one({"taskId": task_id})
        return load(doc) if doc else None

    async def task(self, task_id: str) -> dict[str, Any] | None:
        doc = await self.tasks.find_one({"_id": task_id})
        return load(doc) if doc else None

    async def latest_job(self, task_id: str) -> dict[str, Any] | None:
        cursor = self.jobs.collection.find({"taskId": task_id}, {"outbox": 0})
        docs = await cursor.sort([("createdAt", -1)]).limit(1).to_list(1)
        return load(docs[0]) if docs else None

    async def find(self, store: AggregateStore, query: dict[str, Any], *, limit: int,
                   sort: list[tuple[str, int]] | None = None, skip: int = 0) -> list[dict]:
        cursor = store.collection.find(query, {"outbox": 0})
        if sort:
            cursor = cursor.sort(sort)
        docs = await cursor.skip(skip).limit(limit).to_list(limit)
        return [load(d) for d in docs]

    async def count(self, store: AggregateStore, query: dict[str, Any]) -> int:
        return await store.collection.count_documents(query)
