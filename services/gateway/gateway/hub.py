"""The SSE clients of this replica, fed from the tasks' frame history (`history`).

Every replica receives every event through its broadcast queue, appends its frame to the
task's history and hands each of its clients of that task the frames after the client's
position, so the live order is the history's order and a resumed stream continues exactly
where the client was. Each client has a bounded buffer: a client that cannot keep up is dropped
(it reconnects and resumes), so one slow reader never delays the others.
"""

import asyncio
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

import structlog

from lumi_shared import contracts as c
from lumi_shared.errors import ServiceUnavailable

from .history import History, frame_id, frames_after

log = structlog.get_logger("lumi.gateway.sse")

CLOSE = object()
RECORDED_MEMORY = 10_000
RECORD_CONCURRENCY = 16  # broadcast events of different tasks recorded at once


def to_sse(event: c.Event) -> tuple[str, dict[str, Any]] | None:
    """The old API's (SSE name, payload) of an event: each contract describes itself."""
    return event.sse()


@dataclass(eq=False)
class Client:
    task_id: str
    user_id: str
    session_id: str | None
    queue: asyncio.Queue = field(default_factory=asyncio.Queue)
    epoch: str | None = None
    seen: int | None = None  # seq of the last frame queued; None until positioned
    sent: str = "0"  # id of the last frame written to the socket (heartbeats repeat it)
    missed: bool = False  # frames arrived before it was positioned
    dropped: bool = False


class SseHub:
    def __init__(self, history: History, *, buffer: int, max_clients: int) -> None:
        self.history = history
        self.buffer, self.max_clients = buffer, max_clients
        self._by_task: dict[str, set[Client]] = {}
        self.count = 0
        self.dropped = 0
        self._stripes = [asyncio.Lock() for _ in range(64)]
        self._recorded: OrderedDict[str, None] = OrderedDict()  # event ids this replica recorded
        self._chains: dict[str, asyncio.Task] = {}  # task id -> its latest broadcast record
        self._writers = asyncio.Semaphore(RECORD_CONCURRENCY)

    def register(self, task_id: str, user_id: str, session_id: str | None) -> Client:
        if self.count >= self.max_clients:
            raise ServiceUnavailable("Too many live connections, poll /status instead")
        client = Client(task_id, user_id, session_id, asyncio.Queue(self.buffer))
        self._by_task.setdefault(task_id, set()).add(client)
        self.count += 1
        return client

    def unregister(self, client: Client) -> None:
        clients = self._by_task.get(client.task_id)
        if clients and client in clients:
            clients.discard(client)
            self.count -= 1
            if not clients:
                del self._by_task[client.task_id]

    async def position(self, client: Client, last_event_id: str | None) -> bool:
        """Place a registered client: after `last_event_id` when everything it missed is still
        kept (True: it resumes), else at the task's current end (it gets a fresh snapshot)."""
        doc = await self.history.load(client.task_id)
        seen = (self.history.resume_point(doc, last_event_id, client.user_id)
                if last_event_id else None)
        resumed = seen is not None
        if doc is not None and doc.get("owner") == client.user_id:
            client.epoch = doc["epoch"]
            client.seen = seen if resumed else doc["seq"]
        else:
            client.seen = 0
        client.sent = frame_id(client.epoch, client.seen)
        if resumed or client.missed:
            doc = await self.history.load(client.task_id)
            if doc is not None:
                self._deliver(doc)
        return resumed

    def _drop(self, client: Client, reason: str) -> None:
        client.dropped = True
        self.dropped += 1
        log.warning("sse_client_dropped", task_id=client.task_id, reason=reason)
        self.unregister(client)
        if not client.queue.full():
            client.queue.put_nowait(CLOSE)

    def _hand(self, client: Client, doc: dict[str, Any]) -> None:
        if client.epoch != doc["epoch"]:  # created (again) since the client was positioned
            client.epoch, client.seen = doc["epoch"], 0
        new = frames_after(doc, client.seen)
        if new is None:
            return self._drop(client, "history_gap")
        for frame in new:
            try:
                client.queue.put_nowait((frame_id(doc["epoch"], frame["seq"]), frame["name"],
                                         frame["data"]))
                client.seen = frame["seq"]
                if frame["end"]:
                    client.queue.put_nowait(CLOSE)
            except asyncio.QueueFull:
                return self._drop(client, "slow_reader")

    def _deliver(self, doc: dict[str, Any]) -> None:
        for client in list(self._by_task.get(doc["_id"], ())):
            if client.dropped or client.user_id != doc["owner"]:
                continue
            if client.seen is None:
                client.missed = True
            else:
                self._hand(client, doc)

    async def on_event(self, event: c.Event, *, wait: bool = True) -> None:
        """`wait=False` (the broadcast consumer): recorded in the background, see
        `record_soon`."""
        if isinstance(event, c.SessionRevoked):
            for clients in list(self._by_task.values()):
                for client in list(clients):
                    if client.session_id == event.session_id:
                        client.dropped = True
                        self.unregister(client)
                        if not client.queue.full():
                            client.queue.put_nowait(CLOSE)
            return
        if wait:
            await self.record(event)
        else:
            self.record_soon(event)

    def record_soon(self, event: c.Event) -> None:
        """Record the broadcast copy without holding the broadcast queue: one task's events
        in publish order (each waits for the one before), different tasks side by side. The
        shared durable queue records every event too, so one lost here (a crash) is not lost."""
        task_id = getattr(event, "task_id", None)
        if not task_id:
            return
        chain = asyncio.get_running_loop().create_task(
            self._record_after(self._chains.get(task_id), event))
        self._chains[task_id] = chain

        def forget(done: asyncio.Task) -> None:
            if self._chains.get(task_id) is done:
                del self._chains[task_id]

        chain.add_done_callback(forget)

    async def _record_after(self, previous: asyncio.Task | None, event: c.Event) -> None:
        if previous is not None:
            await asyncio.gather(previous, return_exceptions=True)
        try:
            async with self._writers:
                await self.record(event)
        except Exception as exc:
            log.warning("sse_record_failed", event_id=event.event_id,
                        error=f"{type(exc).__name__}: {exc}")

    async def settled(self) -> None:
        """Wait until every broadcast event received so far is recorded (tests, shutdown)."""
        while self._chains:
            await asyncio.gather(*list(self._chains.values()), return_exceptions=True)

    async def record(self, event: c.Event) -> None:
        """Append the event's frame to its task's history and hand it to this replica's
        clients of the task (idempotent: the broadcast and the shared queue both call it)."""
        frame = to_sse(event)
        task_id = getattr(event, "task_id", None)
        if frame is None or not task_id:
            return
        # This replica's two writers take turns per task, and the second skips what the first
        # recorded: no write race between them, no second database round trip.
        async with self._stripes[hash(task_id) % len(self._stripes)]:
            if event.event_id in self._recorded:
                return
            try:
                doc = await self.history.append(event, task_id, *frame, end=event.ends_stream)
            except Exception as exc:  # the database is down: this frame is lost, not the stream
                log.warning("sse_history_write_failed", task_id=task_id,
                            error=f"{type(exc).__name__}: {exc}")
                return
            self._recorded[event.event_id] = None
            if len(self._recorded) > RECORDED_MEMORY:
                self._recorded.popitem(last=False)
        if doc is not None:
            self._deliver(doc)
