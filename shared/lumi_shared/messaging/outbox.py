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
    """Publishes the documents' outbox entries: one document's entries in order, one after the
    other, and up to `concurrency` documents at a time (a publish waits for the broker's
    confirm and a pull for the database, so a relay working one entry at a time stays far
    behind a busy service: 100 tasks on a loaded machine left TaskCreated and ImageSelected
    waiting minutes). A document's published entries leave it in one write."""

    def __init__(self, bus: EventBus, collections: list[Any], *, interval: float = 1.0,
                 batch: int = 100, concurrency: int = 16) -> None:
        self.bus = bus
        self.collections = collections
        self.batch = batch
        self.concurrency = asyncio.Semaphore(concurrency)
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
        """Entries published; raises the first failure after every document had its turn."""
        published, failure = 0, None
        for collection in self.collections:
            docs = await collection.find({f"{OUTBOX_FIELD}.0": {"$exists": True}},
                                         {OUTBOX_FIELD: 1}).limit(self.batch).to_list()
            results = await asyncio.gather(*(self._publish_document(collection, doc)
                                             for doc in docs), return_exceptions=True)
            for result in results:
                if isinstance(result, BaseException):
                    failure = failure or result
                else:
                    published += result
        if failure is not None:
            raise failure
        return published

    async def _publish_document(self, collection: Any, doc: dict[str, Any]) -> int:
        """Publish the entries in order; stop at the first failure (the rest stay for the
        next round, after what went out is pulled)."""
        async with self.concurrency:
            done: list[str] = []
            try:
                for entry in doc[OUTBOX_FIELD]:
                    if await self._publish(collection, doc["_id"], entry):
                        done.append(entry["event_id"])
            finally:
                if done:
                    await collection.update_one({"_id": doc["_id"]}, {
                        "$pull": {OUTBOX_FIELD: {"event_id": {"$in": done}}}})
            return len(done)

    async def _publish(self, collection: Any, doc_id: Any, entry: dict[str, Any]) -> bool:
        """True once published; an unreadable entry is parked (False)."""
        try:
            event = decode_event(entry["routing_key"], entry["body"])
        except Exception:
            log.error("outbox_entry_unreadable", event_id=entry.get("event_id"),
                      routing_key=entry.get("routing_key"))
            await collection.update_one({"_id": doc_id}, {
                "$pull": {OUTBOX_FIELD: {"event_id": entry["event_id"]}},
                "$push": {"outbox_parked": entry}})
            return False
        with continued(event.traceparent):  # the publish span joins the event's trace
            await self.bus.publish(event)
        return True

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
