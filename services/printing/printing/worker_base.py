"""A bounded pool of lease-holding job runners over one aggregate collection.

A job is claimed with a lease (token + expiry) renewed while it runs; a crashed or killed
service leaves the lease to expire, and the next claim (this process after a restart, or
another replica) resumes it. A graceful stop hands leases back at once.
"""

import asyncio
import contextlib
import uuid
from datetime import datetime
from typing import Any

import structlog

from lumi_shared.aggregate import AggregateStore
from lumi_shared.loop import BackgroundLoop

from .domain import claim, release, renew

log = structlog.get_logger("printing.worker")


class LeaseLost(Exception):
    """The job was finished, cancelled or taken over while this worker ran it."""


class LeasedWorker:
    name = "worker"

    def __init__(self, store: AggregateStore, *, statuses: tuple[str, ...], concurrency: int,
                 lease: float, poll: float, queue: Any = None) -> None:
        """`queue`: a lumi_shared.queues.QueueControl whose live concurrency and pause
        replace `concurrency`."""
        self.store, self.statuses = store, statuses
        self.concurrency, self.lease, self.poll = concurrency, lease, poll
        self.queue = queue
        if queue is not None:
            queue.on_change(self.wake)
        self.running: dict[str, asyncio.Task] = {}
        self.tokens: dict[str, str] = {}
        self.loop = BackgroundLoop(self.name, self.tick, interval=poll, run_first=True)

    def wake(self) -> None:
        self.loop.wake()

    def start(self) -> None:
        self.loop.start()

    async def stop(self, *, hand_back: bool = True) -> None:
        await self.loop.stop()
        tasks = list(self.running.values())
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.wait(tasks, timeout=5)
        if hand_back:
            for job_id, token in list(self.tokens.items()):
                with contextlib.suppress(Exception):
                    await self.store.mutate({"_id": job_id}, release(token))

    def runnable(self, now: datetime) -> dict[str, Any]:
        return {"status": {"$in": list(self.statuses)},
                "$or": [{"leaseToken": None}, {"leaseUntil": {"$lt": now}}]}

    def _limit(self) -> int:
        if self.queue is None:
            return self.concurrency
        return self.queue.config.concurrency if self.queue.active else 0  # paused: none starts

    async def tick(self) -> None:
        free = self._limit() - len(self.running)
        if free <= 0:
            return
        now = self.store.clock()
        cursor = self.store.collection.find(self.runnable(now), {"_id": 1})
        candidates = await cursor.sort([("createdAt", 1)]).limit(free * 2).to_list(free * 2)
        for candidate in candidates:
            if len(self.running) >= self._limit():
                break
            job_id = candidate["_id"]
            if job_id in self.running:
                continue
            token = uuid.uuid4().hex
            mutation = await self.store.mutate({"_id": job_id},
                                               claim(token, self.lease, self.statuses))
            if mutation is None or not mutation.changed:
                continue
            self.tokens[job_id] = token
            task = asyncio.get_running_loop().create_task(self._run(mutation.doc, token))
            self.running[job_id] = task

    async def _run(self, doc: dict[str, Any], token: str) -> None:
        job_id = doc["_id"]
        try:
            await self.run(doc, token)
        except LeaseLost:
            pass
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            log.exception(f"{self.name}_job_crashed", job_id=job_id, error=type(exc).__name__)
        finally:
            self.running.pop(job_id, None)
            self.tokens.pop(job_id, None)
            self.wake()

    async def renew(self, job_id: str, token: str) -> dict[str, Any]:
        mutation = await self.store.mutate({"_id": job_id}, renew(token, self.lease))
        if mutation is None or not mutation.changed or mutation.doc["status"] not in self.statuses:
            raise LeaseLost()
        return mutation.doc

    async def run(self, doc: dict[str, Any], token: str) -> None:
        raise NotImplementedError
