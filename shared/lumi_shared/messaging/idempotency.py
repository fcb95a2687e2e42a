"""Idempotent consumer: remember processed event ids per consumer (kept 7 days by a TTL index).

The marker is written *after* the effect. A crash in between redelivers the event and the
effect runs again, so handlers must also be safe to repeat (guarded state transitions); the
marker turns the common duplicate into a cheap no-op.
"""

from datetime import UTC, datetime
from typing import Any

from ..contracts import Event
from .bus import Handler

RETENTION_SECONDS = 7 * 24 * 3600


class ProcessedEvents:
    def __init__(self, collection: Any) -> None:
        self.collection = collection

    async def ensure_indexes(self) -> None:
        await self.collection.create_index("processed_at", expireAfterSeconds=RETENTION_SECONDS)

    async def seen(self, consumer: str, event_id: str) -> bool:
        return await self.collection.find_one({"_id": f"{consumer}:{event_id}"}) is not None

    async def mark(self, consumer: str, event_id: str) -> None:
        await self.collection.update_one(
            {"_id": f"{consumer}:{event_id}"},
            {"$setOnInsert": {"processed_at": datetime.now(UTC)}}, upsert=True)


def idempotent(consumer: str, processed: ProcessedEvents, handler: Handler) -> Handler:
    async def wrapper(event: Event) -> None:
        if await processed.seen(consumer, event.event_id):
            return
        await handler(event)
        await processed.mark(consumer, event.event_id)

    wrapper.__name__ = getattr(handler, "__name__", consumer)
    return wrapper
