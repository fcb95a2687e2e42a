"""Task storage: one document per task, its images and summaries embedded, its outbox inside.

Works on PyMongo's `AsyncMongoClient` and on the in-process store alike. Every change is a
compare-and-set on `rev` (read, compute in Python, write guarded by the revision read), which
makes each command see the current state without transactions and lets `updatedAt` strictly
increase on every write.
"""

import asyncio
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from pymongo import DESCENDING, ReturnDocument

from lumi_shared.errors import ServiceUnavailable
from lumi_shared.messaging import outbox_entry, with_outbox
from lumi_shared.timeutil import as_utc

from .domain import FAILED_STATUSES, Change, RequestStatus
from .domain.clock import next_updated_at, utcnow_ms

Command = Callable[[dict[str, Any], datetime], Change | None]
HIDDEN = {"outbox": 0, "outbox_parked": 0}
MAX_ATTEMPTS = 50


@dataclass
class Mutation:
    doc: dict[str, Any]
    change: Change | None

    @property
    def changed(self) -> bool:
        return self.change is not None


def _load(value: Any) -> Any:
    if isinstance(value, datetime):
        return as_utc(value)
    if isinstance(value, dict):
        return {k: _load(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_load(v) for v in value]
    return value


class TaskRepository(Protocol):
    clock: Callable[[], datetime]

    async def ensure_indexes(self) -> None: ...
    async def insert(self, doc: dict[str, Any], *events: Any) -> None: ...
    async def get(self, task_id: str, *, user_id: str | None = None) -> dict[str, Any] | None: ...
    async def list_for_user(self, user_id: str, *, offset: int,
                            limit: int) -> tuple[list[dict[str, Any]], int]: ...
    async def mutate(self, task_id: str, command: Command, *,
                     user_id: str | None = None) -> Mutation | None: ...
    async def user_stats(self, user_id: str) -> dict[str, int]: ...
    async def find_ids(self, query: dict[str, Any], limit: int) -> list[str]: ...
    async def remove_deleted(self, task_id: str) -> bool: ...


class MongoTaskRepository:
    def __init__(self, collection: Any, *, on_outbox: Callable[[], None] | None = None,
                 clock: Callable[[], datetime] = utcnow_ms) -> None:
        self.collection = collection
        self.on_outbox = on_outbox or (lambda: None)
        self.clock = clock

    async def ensure_indexes(self) -> None:
        await self.collection.create_index([("userId", 1), ("createdAt", DESCENDING)])
        await self.collection.create_index([("status", 1), ("updatedAt", 1)])
        await self.collection.create_index([("deletedAt", 1)])

    @staticmethod
    def _filter(task_id: str, user_id: str | None) -> dict[str, Any]:
        query: dict[str, Any] = {"_id": task_id, "deletedAt": None}
        if user_id is not None:
            query["userId"] = user_id
        return query

    async def insert(self, doc: dict[str, Any], *events: Any) -> None:
        stored = {**doc, "outbox": [outbox_entry(e) for e in events]}
        await self.collection.insert_one(stored)
        if events:
            self.on_outbox()

    async def get(self, task_id: str, *, user_id: str | None = None) -> dict[str, Any] | None:
        doc = await self.collection.find_one(self._filter(task_id, user_id), HIDDEN)
        return _load(doc) if doc else None

    async def list_for_user(self, user_id: str, *, offset: int,
                            limit: int) -> tuple[list[dict[str, Any]], int]:
        query = {"userId": user_id, "deletedAt": None}
        cursor = (self.collection.find(query, HIDDEN)
                  .sort([("createdAt", DESCENDING), ("_id", DESCENDING)])
                  .skip(offset).limit(limit))
        docs = await cursor.to_list()
        return [_load(d) for d in docs], await self.collection.count_documents(query)

    async def mutate(self, task_id: str, command: Command, *,
                     user_id: str | None = None) -> Mutation | None:
        query = self._filter(task_id, user_id)
        for attempt in range(MAX_ATTEMPTS):
            raw = await self.collection.find_one(query, HIDDEN)
            if raw is None:
                return None
            doc = _load(raw)
            now = self.clock()
            change = command(doc, now)
            if change is None:
                return Mutation(doc, None)
            fields = {**change.set, "updatedAt": next_updated_at(doc["updatedAt"], now)}
            update = with_outbox({"$set": fields, "$inc": {"rev": 1}}, *change.events)
            after = await self.collection.find_one_and_update(
                {**query, "rev": doc["rev"]}, update, projection=HIDDEN,
                return_document=ReturnDocument.AFTER)
            if after is not None:
                if change.events:
                    self.on_outbox()
                return Mutation(_load(after), change)
            await asyncio.sleep(random.uniform(0, 0.002 * (attempt + 1)))
        raise ServiceUnavailable("The task is busy, please retry")

    async def user_stats(self, user_id: str) -> dict[str, int]:
        base = {"userId": user_id, "deletedAt": None}
        count = self.collection.count_documents
        return {
            "totalRequests": await count(base),
            "completedRequests": await count({**base, "status": RequestStatus.COMPLETED}),
            "failedRequests": await count(
                {**base, "status": {"$in": [str(s) for s in FAILED_STATUSES]}}),
        }

    async def find_ids(self, query: dict[str, Any], limit: int) -> list[str]:
        docs = await self.collection.find(query, {"_id": 1}).limit(limit).to_list()
        return [d["_id"] for d in docs]

    async def remove_deleted(self, task_id: str) -> bool:
        result = await self.collection.delete_one({"_id": task_id, "deletedAt": {"$ne": None}})
        return result.deleted_count > 0
