"""Task storage: one document per task, its images and summaries embedded, its outbox inside.

Works on PyMongo's `AsyncMongoClient` and on the in-process store alike. Every change goes
through `lumi_shared.aggregate.AggregateStore` (guarded by `rev`); this module adds the task
queries and the strictly increasing `updatedAt` stamped on every write.
"""

from collections.abc import Callable
from datetime import datetime
from typing import Any, Protocol

from pymongo import DESCENDING

from lumi_shared.aggregate import HIDDEN, AggregateStore, Mutation, Transition, load

from .domain import FAILED_STATUSES, RequestStatus
from .domain.clock import next_updated_at, utcnow_ms
from .domain.status import announcing_status


class TaskRepository(Protocol):
    clock: Callable[[], datetime]

    async def ensure_indexes(self) -> None: ...
    async def insert(self, doc: dict[str, Any], *events: Any) -> None: ...
    async def get(self, task_id: str, *, user_id: str | None = None) -> dict[str, Any] | None: ...
    async def list_for_user(self, user_id: str, *, offset: int,
                            limit: int) -> tuple[list[dict[str, Any]], int]: ...
    async def mutate(self, task_id: str, command: Transition, *, user_id: str | None = None,
                     current: dict[str, Any] | None = None) -> Mutation | None: ...
    async def user_stats(self, user_id: str) -> dict[str, int]: ...
    async def find_ids(self, query: dict[str, Any], limit: int) -> list[str]: ...
    async def remove_deleted(self, task_id: str) -> bool: ...


def _stamp(doc: dict[str, Any], now: datetime) -> dict[str, Any]:
    return {"updatedAt": next_updated_at(doc["updatedAt"], now)}


class MongoTaskRepository:
    def __init__(self, collection: Any, *, on_outbox: Callable[[], None] | None = None,
                 clock: Callable[[], datetime] = utcnow_ms) -> None:
        self.collection = collection
        self.store = AggregateStore(collection, on_outbox=on_outbox, clock=clock, stamp=_stamp,
                                    busy_message="The task is busy, please retry")

    @property
    def clock(self) -> Callable[[], datetime]:
        return self.store.clock

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
        await self.store.insert(doc, *events)

    async def get(self, task_id: str, *, user_id: str | None = None) -> dict[str, Any] | None:
        return await self.store.find_one(self._filter(task_id, user_id))

    async def list_for_user(self, user_id: str, *, offset: int,
                            limit: int) -> tuple[list[dict[str, Any]], int]:
        query = {"userId": user_id, "deletedAt": None}
        cursor = (self.collection.find(query, HIDDEN)
                  .sort([("createdAt", DESCENDING), ("_id", DESCENDING)])
                  .skip(offset).limit(limit))
        docs = await cursor.to_list()
        return [load(d) for d in docs], await self.collection.count_documents(query)

    async def mutate(self, task_id: str, command: Transition, *, user_id: str | None = None,
                     current: dict[str, Any] | None = None) -> Mutation | None:
        """`current`: the task as the caller last saw it (see `AggregateStore.mutate`)."""
        return await self.store.mutate(self._filter(task_id, user_id), announcing_status(command),
                                       current=current)

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
