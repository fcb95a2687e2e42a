"""Storage of studio generations (one document each, images embedded, outbox inside) and of
the webhook ids already processed. Writes go through `lumi_shared.aggregate.AggregateStore`."""

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from pymongo import DESCENDING
from pymongo.errors import DuplicateKeyError

from lumi_shared.aggregate import HIDDEN, AggregateStore, Mutation, Transition, load

from ..domain.clock import next_updated_at
from .domain import Status

WEBHOOK_ID_RETENTION = 24 * 3600


def _stamp(doc: dict[str, Any], now: datetime) -> dict[str, Any]:
    return {"updatedAt": next_updated_at(doc.get("updatedAt"), now)}


class StudioRepository:
    def __init__(self, generations: Any, webhook_ids: Any, *,
                 on_outbox: Callable[[], None] | None = None,
                 clock: Callable[[], datetime] | None = None) -> None:
        self.collection = generations
        self.webhook_ids = webhook_ids
        self.store = AggregateStore(generations, on_outbox=on_outbox, stamp=_stamp,
                                    busy_message="The generation is busy, please retry",
                                    **({"clock": clock} if clock else {}))

    @property
    def clock(self) -> Callable[[], datetime]:
        return self.store.clock

    async def ensure_indexes(self) -> None:
        await self.collection.create_index([("userId", 1), ("createdAt", DESCENDING)])
        await self.collection.create_index([("userId", 1), ("genType", 1), ("createdAt", -1)])
        await self.collection.create_index([("status", 1), ("createdAt", 1)])
        await self.collection.create_index("remoteTaskId", sparse=True)
        await self.webhook_ids.create_index("at", expireAfterSeconds=WEBHOOK_ID_RETENTION)

    async def insert(self, doc: dict[str, Any]) -> bool:
        """False when a generation with this id exists (a repeated idempotency key)."""
        try:
            await self.store.insert(doc)
        except DuplicateKeyError:
            return False
        return True

    async def get(self, generation_id: str) -> dict[str, Any] | None:
        return await self.store.find_one({"_id": generation_id})

    async def by_remote_task(self, remote_task_id: str) -> dict[str, Any] | None:
        return await self.store.find_one({"remoteTaskId": remote_task_id})

    async def mutate(self, generation_id: str, transition: Transition) -> Mutation | None:
        return await self.store.mutate({"_id": generation_id}, transition)

    async def discard_uncharged(self, generation_id: str) -> None:
        """Forget a generation refused before anything was charged (no events, no outbox)."""
        await self.collection.delete_one({"_id": generation_id, "status": Status.PENDING,
                                          "charged": False})

    async def history(self, user_id: str, *, status: str | None, gen_type: str | None,
                      offset: int, limit: int) -> tuple[list[dict[str, Any]], int]:
        query: dict[str, Any] = {"userId": user_id, "status": {"$ne": Status.PENDING}}
        if status:
            query["status"] = status
        if gen_type:
            query["genType"] = gen_type
        cursor = (self.collection.find(query, HIDDEN)
                  .sort([("createdAt", DESCENDING), ("_id", DESCENDING)])
                  .skip(offset).limit(limit))
        return [load(d) for d in await cursor.to_list()], await self.collection.count_documents(query)

    async def stale(self, status: Status, created_before: datetime, limit: int) -> list[str]:
        """Oldest first, so a long backlog is worked through in order."""
        docs = await (self.collection.find({"status": status, "createdAt": {"$lt": created_before}},
                                           {"_id": 1})
                      .sort([("createdAt", 1)]).limit(limit).to_list())
        return [d["_id"] for d in docs]

    async def in_flight_ids(self, ids: list[str]) -> set[str]:
        docs = await self.collection.find(
            {"_id": {"$in": ids}, "status": {"$in": [Status.PENDING, Status.PROCESSING]}},
            {"_id": 1}).to_list()
        return {d["_id"] for d in docs}

    async def claim_webhook(self, webhook_id: str) -> bool:
        """True the first time this webhook id is seen (Standard Webhooks: process once)."""
        try:
            await self.webhook_ids.insert_one({"_id": webhook_id, "at": datetime.now(UTC)})
        except DuplicateKeyError:
            return False
        return True

    async def release_webhook(self, webhook_id: str) -> None:
        """Processing failed for a reason the sender's retry can fix: let the retry in."""
        await self.webhook_ids.delete_one({"_id": webhook_id})

