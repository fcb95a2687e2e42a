"""One way to change state and emit events, for every service.

load the document -> a pure transition `fn(doc, now) -> Change | None` -> one conditional
single-document write (the fields, `rev + 1`, and the change's events appended to the
document's outbox, guarded by the `rev` that was read; a document stored without a `rev` gets one) -> kick the
outbox relay.

A concurrent writer makes the guarded write miss; the transition then runs again on the fresh
document (bounded, jittered), so it always decides on the current state. No transactions: the
events are part of the same document write, and `OutboxRelay` publishes them afterwards.
"""

import asyncio
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from pymongo import ReturnDocument

from .contracts import Event
from .contracts.base import utcnow
from .errors import ServiceUnavailable
from .messaging import outbox_entry, with_outbox
from .messaging.outbox import OUTBOX_FIELD
from .timeutil import as_utc

REV = "rev"
HIDDEN = {OUTBOX_FIELD: 0, "outbox_parked": 0}
MAX_ATTEMPTS = 50


@dataclass
class Change:
    """Fields to `$set` (dotted paths allowed), counters to `$inc`, and the events caused."""

    set: dict[str, Any] = field(default_factory=dict)
    events: list[Event] = field(default_factory=list)
    inc: dict[str, int] = field(default_factory=dict)


Transition = Callable[[dict[str, Any], datetime], Change | None]


@dataclass
class Mutation:
    doc: dict[str, Any]
    change: Change | None

    @property
    def changed(self) -> bool:
        return self.change is not None


def load(value: Any) -> Any:
    """Datetimes as aware UTC, whichever client (PyMongo, in-process store) returned them.

    In place: every read hands out the caller's own containers (PyMongo decodes a fresh
    document; the in-process store's reads copy containers), so no second copy is made."""
    if isinstance(value, datetime):
        return as_utc(value)
    items = value.items() if isinstance(value, dict) else enumerate(value) \
        if isinstance(value, list) else ()
    for key, item in items:
        if isinstance(item, datetime):
            if item.tzinfo is not UTC:
                value[key] = as_utc(item)
        elif isinstance(item, (dict, list)):
            load(item)
    return value



class AggregateStore:
    """The write path of one collection of aggregates (documents with `rev` and an outbox).

    `stamp(doc, now)` returns fields set on every change (e.g. a strictly increasing
    `updatedAt`); `on_outbox` is the relay's kick.
    """

    def __init__(self, collection: Any, *, on_outbox: Callable[[], None] | None = None,
                 clock: Callable[[], datetime] = utcnow,
                 stamp: Callable[[dict[str, Any], datetime], dict[str, Any]] | None = None,
                 busy_message: str = "The resource is busy, please retry") -> None:
        self.collection = collection
        self.on_outbox = on_outbox or (lambda: None)
        self.clock = clock
        self.stamp = stamp
        self.busy_message = busy_message

    async def insert(self, doc: dict[str, Any], *events: Event) -> None:
        stored = {REV: 0, **doc, OUTBOX_FIELD: [outbox_entry(e) for e in events]}
        await self.collection.insert_one(stored)
        if events:
            self.on_outbox()

    async def find_one(self, query: dict[str, Any]) -> dict[str, Any] | None:
        doc = await self.collection.find_one(query, HIDDEN)
        return load(doc) if doc else None

    async def mutate(self, query: dict[str, Any], transition: Transition, *,
                     current: dict[str, Any] | None = None) -> Mutation | None:
        """None when nothing matches `query`; `Mutation(doc, None)` when the transition
        decided there is nothing to change; else the stored document after the change.

        `current`: the document as the caller last saw it (e.g. what its previous write
        returned). The first attempt builds the change on it and writes without reading; the
        write is guarded by its `rev`, so it only applies if nothing changed since, otherwise
        the document is read and the transition runs again. A transition that finds nothing
        to change on `current` is asked again on a fresh read (only the stored state may
        decide "no change"). A writer that owns a document for a while saves one read per
        write this way."""
        for attempt in range(MAX_ATTEMPTS):
            snapshot, current = current, None
            doc = load(snapshot) if snapshot is not None else await self.find_one(query)
            if doc is None:
                return None
            now = self.clock()
            change = transition(doc, now)
            if change is None:
                if snapshot is not None:
                    continue  # decided on what the caller saw: ask the stored document
                return Mutation(doc, None)
            fields = {**change.set, **(self.stamp(doc, now) if self.stamp else {})}
            update: dict[str, Any] = {"$inc": {**change.inc, REV: 1}}
            if fields:
                update["$set"] = fields
            after = await self.collection.find_one_and_update(
                {**query, REV: doc.get(REV)}, with_outbox(update, *change.events),
                projection=HIDDEN, return_document=ReturnDocument.AFTER)
            if after is not None:
                if change.events:
                    self.on_outbox()
                return Mutation(load(after), change)
            await asyncio.sleep(random.uniform(0, 0.002 * (attempt + 1)))
        raise ServiceUnavailable(self.busy_message)
