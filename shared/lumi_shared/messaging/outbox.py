"""Transactional outbox without multi-document transactions.

An event is appended to an `outbox` array *inside the document it belongs to*, in the same
single-document write as the state change, so both happen or neither does. The relay publishes
each entry (publisher confirms) and only then pulls it from the document; a crash in between
publishes it again, which idempotent consumers absorb.
"""

import asyncio
from typing import Any

import structlog

from ..contracts import Event
from ..loop import BackgroundLoop
from ..tracing import continued, current_traceparent
from .bus import EventBus, decode_event

log = structlog.get_logger("lumi.outbox")

OUTBOX_FIELD = "outbox"


def outbox_entry(event: Event) -> dict[str, Any]:
    """The stored form of an event; its envelope carries the trace it was caused in."""
    body = event.model_dump(mode="json")
    if not body.get("traceparent"):
        body["traceparent"] = current_traceparent()
    return {"event_id": event.event_id, "routing_key": event.routing_key, "body": body}


def with_outbox(update: dict[str, Any], *events: Event) -> dict[str, Any]:
    """Add `events` to a MongoDB update document (`$push` onto the outbox)."""
    if not events:
        return update
    merged = {op: dict(fields) for op, fields in update.items()}
    merged.setdefault("$push", {})[OUTBOX_FIELD] = {"$each": [outbox_entry(e) for e in events]}
    return merged


class OutboxRelay:
    def __init__(self, bus: EventBus, collections: list[Any], *, interval: float = 1.0,
                 batch: int = 100) -> None:
        self.bus = bus
        self.collections = collections
        self.batch = batch
        self.loop = BackgroundLoop("outbox-relay", self._drain, interval=interval,
                                   run_first=True)

    async def ensure_indexes(self) -> None:
        """Finding pending entries must not scan every document: a sparse index holds only
        the documents whose outbox has an entry (the relay polls it twice a second)."""
        for collection in self.collections:
            await collection.create_index([(f"{OUTBOX_FIELD}.0", 1)], sparse=True,
                                          name="outbox_pending")

    def kick(self) -> None:
        """Publish soon: called right after a write that added outbox entries."""
        self.loop.wake()

    async def run_once(self) -> int:
        published = 0
        for collection in self.collections:
            docs = await collection.find({f"{OUTBOX_FIELD}.0": {"$exists": True}},
                                         {OUTBOX_FIELD: 1}).limit(self.batch).to_list()
            for doc in docs:
                for entry in doc[OUTBOX_FIELD]:
                    await self._publish(collection, doc["_id"], entry)
                    published += 1
        return published

    async def _publish(self, collection: Any, doc_id: Any, entry: dict[str, Any]) -> None:
        try:
            event = decode_event(entry["routing_key"], entry["body"])
        except Exception:
            log.error("outbox_entry_unreadable", event_id=entry.get("event_id"),
                      routing_key=entry.get("routing_key"))
            await collection.update_one({"_id": doc_id}, {
                "$pull": {OUTBOX_FIELD: {"event_id": entry["event_id"]}},
                "$push": {"outbox_parked": entry}})
            return
        with continued(event.traceparent):  # the publish span joins the event's trace
            await self.bus.publish(event)
        await collection.update_one({"_id": doc_id},
                                    {"$pull": {OUTBOX_FIELD: {"event_id": entry["event_id"]}}})

    async def _drain(self) -> None:
        while await self.run_once() >= self.batch:
            pass

    def start(self) -> None:
        self.loop.start()

    async def stop(self) -> None:
        await self.loop.stop()
        try:
            await asyncio.wait_for(self.run_once(), 2.0)
        except Exception:
            log.warning("outbox_final_flush_incomplete")
