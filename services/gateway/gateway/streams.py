"""The open SSE streams of every replica, so the per-user cap holds across replicas.

One lease per open stream in the gateway's database (collection `sse_streams`):
`{_id: stream id, user, replica, expiresAt}`. A replica renews its leases every `lease / 3`
seconds (one write for all of them) and removes them when it stops; a replica that died leaves
leases that lapse after `lease` seconds (counted as closed, then removed by a TTL index).
A new stream takes its lease first and then counts the user's live leases, so two racing
connects can both be refused but never both exceed the cap.
"""

import asyncio
import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any

import structlog
from pymongo.errors import DuplicateKeyError

from lumi_shared.contracts.base import utcnow
from lumi_shared.errors import RateLimited
from lumi_shared.loop import BackgroundLoop

from .lapsing import Lapsing

COLLECTION = "sse_streams"
log = structlog.get_logger("lumi.gateway.sse")



class StreamLeases(Lapsing):
    """A lease lapses `lease` seconds after its last renewal."""

    def __init__(self, collection: Any, *, cap: int, lease: float, replica: str | None = None,
                 clock: Callable[[], datetime] = utcnow) -> None:
        super().__init__(collection, lease, clock)
        self.cap = cap
        # A stable name (host:port; in Kubernetes the pod name) lets a replica that restarts
        # after a crash drop the leases of its previous life at once (`forget_previous_life`)
        # instead of refusing its users' reconnects until those lapse.
        self.replica = replica or uuid.uuid4().hex
        self.loop = BackgroundLoop("gateway.sse-leases", self.renew, interval=lease / 3)
        self._releasing: set[asyncio.Task] = set()

    async def ensure_indexes(self) -> None:
        await super().ensure_indexes()
        await self.collection.create_index([("user", 1), ("expiresAt", 1)])

    async def forget_previous_life(self) -> None:
        """At start: this replica has no stream open yet, so leases under its name are the
        streams of a crashed predecessor; their clients are reconnecting right now."""
        removed = await self.collection.delete_many({"replica": self.replica})
        if removed.deleted_count:
            log.info("sse_leases_of_previous_life_dropped", replica=self.replica,
                     leases=removed.deleted_count)

    async def take(self, user_id: str) -> str:
        """A lease for a new stream of `user_id`; RateLimited when the user has `cap` open."""
        stream_id = uuid.uuid4().hex
        now = self.clock()
        try:
            await self.collection.insert_one({"_id": stream_id, "user": user_id,
                                              "replica": self.replica,
                                              "expiresAt": now + self.ttl})
        except DuplicateKeyError:  # the driver retried this very insert: the id is fresh
            log.info("sse_lease_insert_retried", stream=stream_id)
        live = await self.collection.count_documents({"user": user_id, "expiresAt": {"$gt": now}})
        if live > self.cap:
            await self.release(stream_id)
            raise RateLimited(f"At most {self.cap} open event streams per user", retry_after=5)
        return stream_id

    async def release(self, stream_id: str) -> None:
        await self.collection.delete_one({"_id": stream_id})

    def release_soon(self, stream_id: str | None) -> None:
        """From a closing stream (which may be cancelled meanwhile): a task of its own."""
        if stream_id is None:
            return
        task = asyncio.get_running_loop().create_task(self.release(stream_id))
        self._releasing.add(task)
        task.add_done_callback(self._released)

    def _released(self, task: asyncio.Task) -> None:
        self._releasing.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.warning("sse_lease_release_failed", error=repr(task.exception()))

    async def renew(self) -> None:
        await self.collection.update_many({"replica": self.replica},
                                          {"$set": {"expiresAt": self.clock() + self.ttl}})

    async def release_all(self) -> None:
        await self.loop.stop()
        await asyncio.gather(*self._releasing, return_exceptions=True)
        await self.collection.delete_many({"replica": self.replica})
