"""Interactions (LIKE / FAVORITE): one document per user, model and type, unique in the store.

The document walks ADDING -> ACTIVE -> REMOVING -> (deleted); the use case moves the model's
counter between those steps (see `service.interactions`)."""

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from pymongo.errors import DuplicateKeyError

from lumi_shared.contracts import uuid7

from ..domain import InteractionState, InteractionType

ADDING, ACTIVE, REMOVING = (s.value for s in InteractionState)
_PRESENT = {"$in": [ADDING, ACTIVE]}  # what the user sees as liked / favorited


def interaction_key(user_id: str, model_id: str, kind: InteractionType) -> str:
    return f"{kind.value}:{model_id}:{user_id}"


class InteractionRepository(Protocol):
    async def ensure_indexes(self) -> None: ...
    async def begin_add(self, user_id: str, model_id: str, kind: InteractionType) -> bool: ...
    async def finish_add(self, user_id: str, model_id: str, kind: InteractionType) -> None: ...
    async def begin_remove(self, user_id: str, model_id: str, kind: InteractionType) -> bool: ...
    async def finish_remove(self, user_id: str, model_id: str, kind: InteractionType) -> None: ...
    async def kinds_by_model(self, user_id: str,
                             model_ids: Sequence[str]) -> dict[str, set[str]]: ...
    async def model_ids_for_user(self, user_id: str, kind: InteractionType) -> list[str]: ...
    async def count_for_user(self, user_id: str, kind: InteractionType) -> int: ...
    async def count_active(self, model_id: str, kind: InteractionType) -> int: ...
    async def settle_stale(self, model_id: str, kind: InteractionType,
                           older_than: float) -> bool: ...
    async def discard(self, user_id: str, model_id: str, kind: InteractionType) -> None: ...
    async def delete_for_model(self, model_id: str) -> int: ...


class MongoInteractionRepository:
    def __init__(self, db: Any) -> None:
        self.interactions = db["interactions"]

    async def ensure_indexes(self) -> None:
        await self.interactions.create_index(
            [("user_id", 1), ("model_id", 1), ("type", 1)], unique=True, name="one_per_user")
        await self.interactions.create_index(
            [("user_id", 1), ("type", 1), ("created_at", -1), ("seq", -1)], name="user_lists_seq")
        await self.interactions.create_index([("model_id", 1), ("type", 1), ("state", 1)],
                                             name="by_model")

    async def begin_add(self, user_id: str, model_id: str, kind: InteractionType) -> bool:
        now = datetime.now(UTC)
        try:
            await self.interactions.insert_one({
                "_id": interaction_key(user_id, model_id, kind), "user_id": user_id,
                "model_id": model_id, "type": kind.value, "state": ADDING,
                # MongoDB keeps milliseconds: `seq` orders interactions of one millisecond.
                "created_at": now, "seq": uuid7(), "updated_at": now})
        except DuplicateKeyError:
            return False
        return True

    async def finish_add(self, user_id: str, model_id: str, kind: InteractionType) -> None:
        await self.interactions.update_one(
            {"_id": interaction_key(user_id, model_id, kind), "state": ADDING},
            {"$set": {"state": ACTIVE, "updated_at": datetime.now(UTC)}})

    async def begin_remove(self, user_id: str, model_id: str, kind: InteractionType) -> bool:
        result = await self.interactions.update_one(
            {"_id": interaction_key(user_id, model_id, kind), "state": ACTIVE},
            {"$set": {"state": REMOVING, "updated_at": datetime.now(UTC)}})
        return result.matched_count == 1

    async def finish_remove(self, user_id: str, model_id: str, kind: InteractionType) -> None:
        await self.interactions.delete_one(
            {"_id": interaction_key(user_id, model_id, kind), "state": REMOVING})

    async def kinds_by_model(self, user_id: str,
                             model_ids: Sequence[str]) -> dict[str, set[str]]:
        found: dict[str, set[str]] = {}
        if not model_ids:
            return found
        cursor = self.interactions.find(
            {"user_id": user_id, "model_id": {"$in": list(model_ids)}, "state": _PRESENT},
            {"model_id": 1, "type": 1})
        for doc in await cursor.to_list():
            found.setdefault(doc["model_id"], set()).add(doc["type"])
        return found

    async def model_ids_for_user(self, user_id: str, kind: InteractionType) -> list[str]:
        cursor = self.interactions.find(
            {"user_id": user_id, "type": kind.value, "state": _PRESENT}, {"model_id": 1},
        ).sort([("created_at", -1), ("seq", -1), ("_id", -1)])
        return [doc["model_id"] for doc in await cursor.to_list()]

    async def count_for_user(self, user_id: str, kind: InteractionType) -> int:
        return await self.interactions.count_documents(
            {"user_id": user_id, "type": kind.value, "state": _PRESENT})

    async def count_active(self, model_id: str, kind: InteractionType) -> int:
        return await self.interactions.count_documents(
            {"model_id": model_id, "type": kind.value, "state": ACTIVE})

    async def settle_stale(self, model_id: str, kind: InteractionType,
                           older_than: float) -> bool:
        """Finish toggles that stopped half-way (crash) longer than `older_than` seconds ago;
        True when no toggle is still in flight for this model and type."""
        base = {"model_id": model_id, "type": kind.value}
        cutoff = datetime.now(UTC) - timedelta(seconds=older_than)
        await self.interactions.update_many(
            {**base, "state": ADDING, "updated_at": {"$lte": cutoff}},
            {"$set": {"state": ACTIVE, "updated_at": datetime.now(UTC)}})
        await self.interactions.delete_many(
            {**base, "state": REMOVING, "updated_at": {"$lte": cutoff}})
        pending = await self.interactions.count_documents(
            {**base, "state": {"$in": [ADDING, REMOVING]}})
        return pending == 0

    async def discard(self, user_id: str, model_id: str, kind: InteractionType) -> None:
        await self.interactions.delete_one({"_id": interaction_key(user_id, model_id, kind)})

    async def delete_for_model(self, model_id: str) -> int:
        return (await self.interactions.delete_many({"model_id": model_id})).deleted_count
