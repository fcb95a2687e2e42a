"""The catalogue projection: one document per model, built from modeling's events.

Event updates are guarded by versions, per aspect: `meta_version` for name/description/
visibility, `state_version` for the life cycle (files, READY/FAILED). An update whose guard does
not match is a stale or duplicated delivery and is dropped (the upsert then collides on `_id`).
A ModelDeleted leaves a DELETED tombstone that no later event matches. Counters are only ever
changed with `$inc`, never by catalogue events.
"""

import asyncio
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

import structlog
from pymongo import ReturnDocument
from pymongo.errors import DuplicateKeyError, OperationFailure

from ..domain import COUNTERS, PRIVATE, SORT_ORDERS, ModelStatus, public_filter, visible_filter

CONTENT_FIELDS = (
    "name", "description", "owner_name", "task_id", "model_url", "format", "glb_url", "obj_url",
    "mtl_url", "texture_url", "stl_url", "preview_image_url", "file_size", "face_count",
    "vertex_count", "published_at", "created_at", "completed_at", "error_message",
    "slice_task_id", "slice_status", "gcode_url", "print_status",
)
log = structlog.get_logger("gallery.catalogue")
_DEFAULTS: dict[str, Any] = {
    "status": ModelStatus.PENDING.value, "visibility": PRIVATE, "meta_version": 0,
    "state_version": 0, "interaction_seq": 0, **{c: 0 for c in COUNTERS},
}


class CatalogueRepository(Protocol):
    async def ensure_indexes(self, view_window_seconds: int = 3600) -> None: ...
    async def apply(self, model_id: str, guard: str, version: int,
                    fields: dict[str, Any]) -> bool: ...
    async def tombstone(self, model_id: str, user_id: str, version: int) -> bool: ...
    async def get(self, model_id: str) -> dict[str, Any] | None: ...
    async def page(self, sort: str, offset: int, limit: int) -> tuple[list[dict], int]: ...
    async def visible_ids(self, ids: Sequence[str], user_id: str) -> set[str]: ...
    async def get_many(self, ids: Sequence[str]) -> dict[str, dict[str, Any]]: ...
    async def bump(self, model_id: str, counter: str, delta: int,
                   seq: bool = False) -> dict[str, Any] | None: ...
    async def viewed_recently(self, model_id: str, viewer: str, window_seconds: int) -> bool: ...
    async def claim_view(self, model_id: str, viewer: str, window_seconds: int) -> bool: ...
    async def set_counter_if_seq(self, model_id: str, counter: str, value: int,
                                 seq: int) -> bool: ...
    async def owner_public_models(self, user_id: str) -> list[dict[str, Any]]: ...
    async def insert_many(self, docs: Iterable[dict[str, Any]]) -> None: ...


def new_model_doc(model_id: str, **fields: Any) -> dict[str, Any]:
    """A complete projection document (bulk seeding, tests)."""
    return {"_id": model_id, **_DEFAULTS, **fields}


class MongoCatalogueRepository:
    def __init__(self, db: Any) -> None:
        self.models = db["catalogue"]
        self.views = db["view_markers"]

    async def ensure_indexes(self, view_window_seconds: int = 3600) -> None:
        visible_keys = [("visibility", 1), ("status", 1)]
        for name, order in SORT_ORDERS.items():
            await self.models.create_index(visible_keys + order, name=f"gallery_{name.value}")
        await self.models.create_index([("user_id", 1), ("status", 1)], name="owner")
        # Markers disappear after the dedupe window; claim_view also re-arms stale ones itself,
        # so correctness never depends on when the TTL monitor runs.
        try:
            await self.views.create_index("viewed_at", expireAfterSeconds=view_window_seconds,
                                          name="view_ttl")
        except OperationFailure as exc:  # the window changed: the old TTL index still cleans up
            log.warning("view_ttl_index_kept", error=str(exc))

    # -- projection (events)

    async def apply(self, model_id: str, guard: str, version: int,
                    fields: dict[str, Any]) -> bool:
        flt = {"_id": model_id, "status": {"$ne": ModelStatus.DELETED.value},
               guard: {"$not": {"$gte": version}}}  # a guard a document lacks counts as 0
        to_set = {**fields, guard: version}
        update: dict[str, Any] = {"$set": to_set, "$max": {"version": version}}
        defaults = {k: v for k, v in _DEFAULTS.items() if k not in to_set}
        if defaults:
            update["$setOnInsert"] = defaults
        try:
            await self.models.update_one(flt, update, upsert=True)
        except DuplicateKeyError:
            return False  # stale, duplicated, or after the tombstone
        return True

    async def tombstone(self, model_id: str, user_id: str, version: int) -> bool:
        update = {
            "$set": {"status": ModelStatus.DELETED.value, "user_id": user_id,
                     "deleted_version": version},
            "$max": {"version": version},
            "$unset": {f: "" for f in CONTENT_FIELDS},
            "$setOnInsert": {k: v for k, v in _DEFAULTS.items() if k != "status"},
        }
        try:
            await self.models.update_one(
                {"_id": model_id, "status": {"$ne": ModelStatus.DELETED.value}}, update,
                upsert=True)
        except DuplicateKeyError:
            return False
        return True

    # -- reads

    async def get(self, model_id: str) -> dict[str, Any] | None:
        return await self.models.find_one({"_id": model_id})

    async def page(self, sort: str, offset: int, limit: int) -> tuple[list[dict], int]:
        flt = public_filter()
        cursor = self.models.find(flt).sort(SORT_ORDERS[sort]).skip(offset).limit(limit)
        items, total = await asyncio.gather(cursor.to_list(), self.models.count_documents(flt))
        return items, total

    async def visible_ids(self, ids: Sequence[str], user_id: str) -> set[str]:
        if not ids:
            return set()
        flt = {"_id": {"$in": list(ids)}, **visible_filter(user_id)}
        return {d["_id"] for d in await self.models.find(flt, {"_id": 1}).to_list()}

    async def get_many(self, ids: Sequence[str]) -> dict[str, dict[str, Any]]:
        if not ids:
            return {}
        docs = await self.models.find({"_id": {"$in": list(ids)}}).to_list()
        return {d["_id"]: d for d in docs}

    async def owner_public_models(self, user_id: str) -> list[dict[str, Any]]:
        projection = {c: 1 for c in COUNTERS}
        return await self.models.find({"user_id": user_id, **public_filter()},
                                      projection).to_list()

    # -- counters

    async def bump(self, model_id: str, counter: str, delta: int,
                   seq: bool = False) -> dict[str, Any] | None:
        inc = {counter: delta, **({"interaction_seq": 1} if seq else {})}
        return await self.models.find_one_and_update(
            {"_id": model_id}, {"$inc": inc}, return_document=ReturnDocument.AFTER)

    async def set_counter_if_seq(self, model_id: str, counter: str, value: int,
                                 seq: int) -> bool:
        result = await self.models.update_one(
            {"_id": model_id, "interaction_seq": seq},
            {"$set": {counter: value}, "$inc": {"interaction_seq": 1}})
        return result.matched_count == 1

    async def viewed_recently(self, model_id: str, viewer: str, window_seconds: int) -> bool:
        """A read: has `viewer` a marker younger than the window (the complement of the
        re-arm condition of `claim_view`)?"""
        since = datetime.now(UTC) - timedelta(seconds=window_seconds)
        marker = await self.views.find_one(
            {"_id": f"{model_id}:{viewer}", "viewed_at": {"$gt": since}}, {"_id": 1})
        return marker is not None

    async def claim_view(self, model_id: str, viewer: str, window_seconds: int) -> bool:
        """True once per `viewer` and model per window: the marker is inserted, or re-armed when
        older than the window, in one atomic upsert; a fresh marker makes the upsert collide."""
        now = datetime.now(UTC)
        try:
            await self.views.update_one(
                {"_id": f"{model_id}:{viewer}",
                 "viewed_at": {"$lte": now - timedelta(seconds=window_seconds)}},
                {"$set": {"viewed_at": now}}, upsert=True)
        except DuplicateKeyError:
            return False
        return True

    async def insert_many(self, docs: Iterable[dict[str, Any]]) -> None:
        batch = list(docs)
        if batch:
            await self.models.insert_many(batch, ordered=False)
