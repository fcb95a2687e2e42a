"""Storage of models (one document per model, its job and its outbox inside it).

Works on PyMongo's AsyncMongoClient and on the in-process store alike: single-document
writes only, every change through `lumi_shared.aggregate.AggregateStore` (guarded by `rev`),
uniqueness enforced by indexes.
"""

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, Protocol

from lumi_shared.aggregate import AggregateStore, Change

from .domain.model import ACTIVE, JobStatus, SortBy, Visibility

Builder = Callable[[dict[str, Any]], Change | None]
LIVE = {"deleted_at": None}
LIST_PROJECTION = {"outbox": 0}
_SORTS = {
    SortBy.LATEST: [("created_at", -1), ("_id", -1)],
    SortBy.NAME: [("name", 1), ("created_at", -1), ("_id", -1)],
    # view counts live in the gallery; until they are projected here this is "latest"
    SortBy.POPULAR: [("view_count", -1), ("created_at", -1), ("_id", -1)],
}


class ModelRepository(Protocol):
    async def ensure_indexes(self) -> None: ...
    async def insert(self, doc: dict[str, Any]) -> None: ...
    async def get(self, model_id: str, *, include_deleted: bool = False) -> dict | None: ...
    async def get_by_task(self, task_id: str) -> dict | None: ...
    async def change(self, model_id: str, build: Builder, where: dict[str, Any] | None = None,
                     current: dict[str, Any] | None = None) -> dict | None: ...
    async def list_for_user(self, user_id: str, *, visibility: Visibility | None,
                            sort: SortBy, limit: int, offset: int) -> list[dict]: ...
    async def count(self, user_id: str, visibility: Visibility | None = None) -> int: ...
    async def runnable(self, now: datetime, limit: int) -> list[dict]: ...
    async def overdue(self, now: datetime, limit: int = 50) -> list[dict]: ...
    async def renew_lease(self, model_id: str, token: str, until: datetime) -> bool: ...
    async def pending_file_deletions(self, limit: int = 50) -> list[dict]: ...
    async def mark_files_deleted(self, model_id: str, purge_at: datetime) -> None: ...
    async def stale_files(self, limit: int = 50) -> list[dict]: ...
    async def forget_stale_files(self, model_id: str, keys: list[str]) -> None: ...


class MongoModelRepository:
    def __init__(self, db: Any, *, on_outbox: Callable[[], None] | None = None) -> None:
        self.collection = db["models"]
        self.store = AggregateStore(self.collection, on_outbox=on_outbox,
                                    busy_message="The model is being changed concurrently, "
                                                 "try again")

    async def ensure_indexes(self) -> None:
        # one model per task, enforced by the store (never check-then-insert)
        await self.collection.create_index("task_id", unique=True, name="task_id_unique")
        await self.collection.create_index([("user_id", 1), ("created_at", -1)],
                                           name="user_created")
        await self.collection.create_index([("job.status", 1), ("job.next_run_at", 1)],
                                           name="job_queue")
        await self.collection.create_index("purge_at", expireAfterSeconds=0, name="purge_ttl")

    async def insert(self, doc: dict[str, Any]) -> None:
        await self.store.insert(doc)

    async def get(self, model_id: str, *, include_deleted: bool = False) -> dict | None:
        flt = {"_id": model_id} if include_deleted else {"_id": model_id, **LIVE}
        return await self.collection.find_one(flt)

    async def get_by_task(self, task_id: str) -> dict | None:
        return await self.collection.find_one({"task_id": task_id})

    async def change(self, model_id: str, build: Builder, where: dict[str, Any] | None = None,
                     current: dict[str, Any] | None = None) -> dict | None:
        """Apply `build(current)` guarded by the version it was built from; rebuild on a
        concurrent change. None when no document matches `where`; the unchanged document
        when `build` returns None. `current`: the document as the caller just read it (the
        first attempt then writes without reading; see `AggregateStore.mutate`)."""
        flt = {"_id": model_id, **LIVE, **(where or {})}
        done = await self.store.mutate(flt, lambda doc, _now: build(doc), current=current)
        return None if done is None else done.doc

    def _user_filter(self, user_id: str, visibility: Visibility | None) -> dict[str, Any]:
        flt: dict[str, Any] = {"user_id": user_id, **LIVE}
        if visibility is not None:
            flt["visibility"] = visibility.value
        return flt

    async def list_for_user(self, user_id: str, *, visibility: Visibility | None,
                            sort: SortBy, limit: int, offset: int) -> list[dict]:
        cursor = self.collection.find(self._user_filter(user_id, visibility), LIST_PROJECTION)
        return await cursor.sort(_SORTS[sort]).skip(offset).limit(limit).to_list()

    async def count(self, user_id: str, visibility: Visibility | None = None) -> int:
        return await self.collection.count_documents(self._user_filter(user_id, visibility))

    async def runnable(self, now: datetime, limit: int) -> list[dict]:
        flt = {**LIVE, "$or": [
            {"job.status": JobStatus.PENDING.value},
            {"job.status": JobStatus.RETRYING.value, "job.next_run_at": {"$lte": now}},
            {"job.status": JobStatus.RUNNING.value, "job.lease_until": {"$lt": now}},
        ]}
        cursor = self.collection.find(flt, LIST_PROJECTION)
        return await cursor.sort([("created_at", 1), ("_id", 1)]).limit(limit).to_list()

    async def overdue(self, now: datetime, limit: int = 50) -> list[dict]:
        flt = {**LIVE, "job.status": {"$in": [s.value for s in ACTIVE]},
               "job.deadline_at": {"$lt": now}}
        return await self.collection.find(flt, LIST_PROJECTION).limit(limit).to_list()

    async def renew_lease(self, model_id: str, token: str, until: datetime) -> bool:
        result = await self.collection.update_one(
            {"_id": model_id, **LIVE, "job.lease_token": token},
            {"$set": {"job.lease_until": until}})
        return result.matched_count == 1

    async def pending_file_deletions(self, limit: int = 50) -> list[dict]:
        flt = {"deleted_at": {"$ne": None}, "files_deleted": False}
        return await self.collection.find(flt, {"_id": 1}).limit(limit).to_list()

    async def mark_files_deleted(self, model_id: str, purge_at: datetime) -> None:
        # the tombstone stays until its outbox is published and the TTL passes
        await self.collection.update_one(
            {"_id": model_id, "deleted_at": {"$ne": None}},
            {"$set": {"files_deleted": True, "purge_at": purge_at}})

    async def stale_files(self, limit: int = 50) -> list[dict]:
        """Models whose files were copied under a new key and whose old copies remain."""
        flt = {**LIVE, "stale_files.0": {"$exists": True}}
        return await self.collection.find(flt, {"stale_files": 1}).limit(limit).to_list()

    async def forget_stale_files(self, model_id: str, keys: list[str]) -> None:
        # cleared only if no other change added keys meanwhile (the next sweep sees those)
        await self.collection.update_one({"_id": model_id, "stale_files": keys},
                                         {"$set": {"stale_files": []}})


def purge_time(now: datetime, ttl: float) -> datetime:
    return now + timedelta(seconds=ttl)
