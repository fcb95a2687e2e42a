"""The recent SSE frames of each task, so a client that reconnects with `Last-Event-ID` gets
exactly the frames it missed, in order, on any gateway replica and after a restart.

One document per task in the gateway's own database (collection `sse_history`):

    {_id: task_id, owner, epoch, seq, expiresAt,
     frames: [{seq, eid, name, data, end, at}],   # the last `max_frames`, oldest first
     eids: [..]}                                  # the last EID_WINDOW event ids recorded

A frame's SSE id is `<epoch>-<seq>`. `epoch` is drawn when the document is created, so the ids
of a history that expired and was created again never match. Bounds: at most `max_frames`
frames per task (`$push` with `$slice`), frames older than `max_age` are never replayed, and a
history nobody wrote to for `max_age` is removed by a TTL index on `expiresAt`.

Every replica appends every event it receives (its broadcast queue), and the one active
consumer of the shared durable queue `gateway.sse-history` too, so events published while no
replica runs are recorded after a restart; an append is idempotent by event id (within the
kept frames) and takes the next `seq` with a write guarded by the `seq` it read (a concurrent
writer makes it miss; it then reads again), so all replicas agree on one order per task. The
duplicate check looks at the last EID_WINDOW event ids of the task, far more than the frames
kept, so a writer lagging behind the others never records an event twice.
"""

import asyncio
import random
import secrets
from collections import OrderedDict
from collections.abc import Callable
from datetime import datetime
from typing import Any

import structlog
from pymongo import ReturnDocument
from pymongo.errors import DuplicateKeyError

from lumi_shared.contracts import Event
from lumi_shared.contracts.base import utcnow
from lumi_shared.timeutil import as_utc

from .lapsing import Lapsing

log = structlog.get_logger("lumi.gateway.history")

COLLECTION = "sse_history"
# Durable queue shared by the replicas (see main). Its bounds are fixed: RabbitMQ refuses to
# declare an existing queue with other arguments. Older events are not recorded anyway.
HISTORY_QUEUE = "gateway.sse-history"
HISTORY_QUEUE_LENGTH = 100_000
HISTORY_QUEUE_AGE = 3600.0
MAX_ATTEMPTS = 30
EID_WINDOW = 2000
LAST_MEMORY = 10_000  # tasks whose last position this replica remembers
START = "0"  # the id of a position before any frame of a task



def frame_id(epoch: str | None, seq: int) -> str:
    return f"{epoch}-{seq}" if epoch else START


class History(Lapsing):
    """Frames older than `max_age` are not replayed; a history unwritten for as long lapses."""

    def __init__(self, collection: Any, *, max_frames: int, max_age: float,
                 clock: Callable[[], datetime] = utcnow) -> None:
        super().__init__(collection, max_age, clock)
        self.max_frames = max_frames
        # task -> (owner, epoch, seq) this replica last wrote or read: the next append tries
        # one guarded write at seq + 1 before it reads the document (one round trip, not two)
        self._last: OrderedDict[str, tuple[str | None, str, int]] = OrderedDict()

    async def load(self, task_id: str, *, ids: bool = False) -> dict[str, Any] | None:
        return await self.collection.find_one({"_id": task_id}, None if ids else {"eids": 0})

    async def append(self, event: Event, task_id: str, name: str, data: dict[str, Any],
                     end: bool) -> dict[str, Any] | None:
        """The task's history after the event's frame is in it; None when the event is older
        than the history keeps (a late redelivery) or the write kept failing."""
        now = self.clock()
        if as_utc(event.occurred_at) < now - self.ttl:
            return None
        frame = {"eid": event.event_id, "name": name, "data": data, "end": end, "at": now}
        owner = getattr(event, "user_id", None)
        last = self._last.get(task_id)
        if last is not None and last[0] == owner:
            after = await self._push(task_id, last[1], last[2], frame, now)
            if after is not None:
                return self._remember(after)
        for attempt in range(MAX_ATTEMPTS):
            doc = await self.load(task_id, ids=True)
            if doc is None:
                doc = {"_id": task_id, "owner": getattr(event, "user_id", None),
                       "epoch": secrets.token_hex(6), "seq": 1, "expiresAt": now + self.ttl,
                       "frames": [{"seq": 1, **frame}], "eids": [event.event_id]}
                try:
                    await self.collection.insert_one(doc)
                    return self._remember(doc)
                except DuplicateKeyError:
                    continue
            if doc["owner"] != owner:
                return None  # every frame of a task is its owner's
            if event.event_id in doc.get("eids", ()):
                return self._remember(doc)
            after = await self._push(task_id, doc["epoch"], doc["seq"], frame, now)
            if after is not None:
                return self._remember(after)
            await asyncio.sleep(random.uniform(0, 0.002 * attempt))  # the first retry: at once
        log.warning("sse_history_busy", task_id=task_id, event_id=event.event_id)
        return None

    async def _push(self, task_id: str, epoch: str, seq: int, frame: dict[str, Any],
                    now: datetime) -> dict[str, Any] | None:
        """Append `frame` as seq + 1 if the history is still at (epoch, seq) and does not have
        the event yet; None otherwise (another writer went first, or it is a duplicate)."""
        return await self.collection.find_one_and_update(
            {"_id": task_id, "epoch": epoch, "seq": seq, "eids": {"$ne": frame["eid"]}},
            {"$set": {"seq": seq + 1, "expiresAt": now + self.ttl},
             "$push": {"frames": {"$each": [{"seq": seq + 1, **frame}],
                                  "$slice": -self.max_frames},
                       "eids": {"$each": [frame["eid"]], "$slice": -EID_WINDOW}}},
            return_document=ReturnDocument.AFTER)

    def _remember(self, doc: dict[str, Any]) -> dict[str, Any]:
        self._last[doc["_id"]] = (doc.get("owner"), doc["epoch"], doc["seq"])
        self._last.move_to_end(doc["_id"])
        if len(self._last) > LAST_MEMORY:
            self._last.popitem(last=False)
        return doc

    def resume_point(self, doc: dict[str, Any] | None, last_event_id: str,
                     user_id: str) -> int | None:
        """The seq a client that saw up to `last_event_id` continues after, when every frame
        it missed is still kept; None: it needs a fresh snapshot."""
        if doc is None or doc.get("owner") != user_id:
            return None
        if last_event_id == START:
            seen = 0
        else:
            epoch, _, seq = last_event_id.rpartition("-")
            if epoch != doc["epoch"] or not seq.isdigit():
                return None
            seen = int(seq)
        if seen > doc["seq"]:
            return None
        cutoff = self.clock() - self.ttl
        kept = [f["seq"] for f in doc["frames"] if as_utc(f["at"]) >= cutoff]
        first = kept[0] if kept else doc["seq"] + 1
        return seen if seen >= first - 1 else None


def frames_after(doc: dict[str, Any], seen: int) -> list[dict[str, Any]] | None:
    """The frames after seq `seen`; None when some of them are no longer kept (a gap)."""
    new = [f for f in doc["frames"] if f["seq"] > seen]
    if new and new[0]["seq"] != seen + 1:
        return None
    return new
