"""In-process broker for the embedded mode and tests: topic routing like RabbitMQ,
asynchronous delivery (a publish never waits for consumers), concurrent consumers,
bounded retries, then the message is parked: kept, logged, and written to a file that the next
start reads back, so operators still see (and can replay) it after a restart."""

import asyncio
import json
from collections import deque
from datetime import UTC, datetime
from pathlib import Path

import structlog

from ..contracts import Event
from ..errors import PoisonMessage
from ..tracing import stamped
from .bus import Handler, Subscription, decode_event
from .topology import topic_matches
from .transient import patient

log = structlog.get_logger("lumi.bus")


class _Queue:
    def __init__(self, name: str, pattern: str, handler: Handler, attempts: int,
                 concurrency: int) -> None:
        self.name, self.pattern, self.handler, self.attempts = name, pattern, handler, attempts
        self.concurrency = concurrency
        self.messages: asyncio.Queue[tuple[str, str]] = asyncio.Queue()
        self.workers: list[asyncio.Task] = []
        self.pending = 0  # queued or being handled


class InMemoryBus:
    def __init__(self, *, delivery_limit: int = 5, concurrency: int = 4,
                 retry_base_delay: float = 0.05, parked_file: Path | None = None,
                 max_parked: int = 1000, transient_retry: float = 0.0) -> None:
        """`transient_retry`: seconds a durable consumer retries an infrastructure failure
        (`messaging.transient`) before it counts as one of its `delivery_limit` attempts."""
        self.transient_retry = transient_retry
        self.delivery_limit = delivery_limit
        self.concurrency = concurrency
        self.retry_base_delay = retry_base_delay
        self.parked_file = parked_file
        self.parked: deque[dict] = deque(self._read_parked(), maxlen=max_parked)
        self.published = 0
        self._queues: dict[str, _Queue] = {}
        self._running = False

    # -- registration

    def _add(self, queue: _Queue) -> None:
        if queue.name in self._queues:
            raise ValueError(f"queue {queue.name} already has a consumer in this process")
        self._queues[queue.name] = queue
        if self._running:
            self._spawn(queue)

    def subscribe(self, subscription: Subscription) -> None:
        self._add(_Queue(subscription.queue, subscription.event.routing_key,
                         patient(subscription.handler, budget=self.transient_retry),
                         self.delivery_limit, self.concurrency))

    def subscribe_broadcast(self, name: str, handler: Handler, pattern: str = "#") -> None:
        # One worker: the gateway relays these to SSE clients in publish order.
        self._add(_Queue(f"broadcast.{name}", pattern, handler, 1, concurrency=1))

    def subscribe_shared(self, name: str, handler: Handler, *, max_length: int,
                         max_age: float) -> None:
        # One process: one consumer, in publish order (nothing is kept while it is absent).
        self._add(_Queue(name, "#", handler, 1, concurrency=1))

    def unsubscribe(self, name: str) -> None:
        queue = self._queues.pop(name, None) or self._queues.pop(f"broadcast.{name}", None)
        for task in queue.workers if queue else ():
            task.cancel()

    # -- delivery

    async def publish(self, event: Event) -> None:
        body = stamped(event).model_dump_json()
        self.published += 1
        for queue in self._queues.values():
            if topic_matches(queue.pattern, event.routing_key):
                queue.pending += 1
                queue.messages.put_nowait((event.routing_key, body))

    async def _deliver(self, queue: _Queue, routing_key: str, body: str) -> None:
        for attempt in range(1, queue.attempts + 1):
            try:
                await queue.handler(decode_event(routing_key, body))
                return
            except asyncio.CancelledError:
                raise
            except PoisonMessage as exc:
                self._park(queue, routing_key, body, f"rejected: {exc}", attempt)
                return
            except Exception as exc:
                if attempt >= queue.attempts:
                    self._park(queue, routing_key, body, f"{type(exc).__name__}: {exc}", attempt)
                    return
                log.warning("event_handler_failed", queue=queue.name, routing_key=routing_key,
                            attempt=attempt, error=f"{type(exc).__name__}: {exc}")
                await asyncio.sleep(self.retry_base_delay * 2 ** (attempt - 1))

    def _park(self, queue: _Queue, routing_key: str, body: str, reason: str, attempts: int) -> None:
        record = {"queue": queue.name, "routing_key": routing_key, "reason": reason,
                  "attempts": attempts, "body": json.loads(body),
                  "parked_at": datetime.now(UTC).isoformat()}
        self.parked.append(record)
        log.error("event_parked", queue=queue.name, routing_key=routing_key, reason=reason,
                  attempts=attempts)
        self._write_parked()

    def _read_parked(self) -> list[dict]:
        if not self.parked_file or not self.parked_file.exists():
            return []
        records = []
        for number, line in enumerate(self.parked_file.read_text().splitlines(), 1):
            try:
                records.append(json.loads(line))
            except ValueError:
                log.warning("parked_event_unreadable", file=str(self.parked_file), line=number)
        return records

    def _write_parked(self) -> None:
        """The file holds exactly the parked events (at most `max_parked`): rewritten whole,
        atomically, on the rare park or replay."""
        if not self.parked_file:
            return
        self.parked_file.parent.mkdir(parents=True, exist_ok=True)
        partial = self.parked_file.with_name(self.parked_file.name + ".tmp")
        partial.write_text("".join(json.dumps(r) + "\n" for r in self.parked))
        partial.replace(self.parked_file)

    async def _work(self, queue: _Queue) -> None:
        while True:
            routing_key, body = await queue.messages.get()
            try:
                await self._deliver(queue, routing_key, body)
            finally:
                queue.pending -= 1

    def _spawn(self, queue: _Queue) -> None:
        loop = asyncio.get_running_loop()
        queue.workers = [loop.create_task(self._work(queue)) for _ in range(queue.concurrency)]

    # -- operators (lumi_shared.dead_letters)

    async def consumer_count(self, queue: str) -> int | None:
        found = self._queues.get(queue)
        return len(found.workers) if found else None

    async def dead_letters(self, service: str, sample: int) -> list[dict]:
        """Parked events of `service`'s queues, oldest first, per queue."""
        by_queue: dict[str, list[dict]] = {}
        for record in self.parked:
            if record["queue"].startswith(f"{service}."):
                by_queue.setdefault(record["queue"], []).append(record)
        return [{"queue": name, "records": records} for name, records in by_queue.items()]

    async def replay(self, queue: str, limit: int) -> int:
        """Hand up to `limit` parked events of `queue` back to its consumer, oldest first."""
        target = self._queues.get(queue)
        picked = [r for r in self.parked if r["queue"] == queue][:limit] if target else []
        for record in picked:
            self.parked.remove(record)
            target.pending += 1
            target.messages.put_nowait((record["routing_key"], json.dumps(record["body"])))
        if picked:
            self._write_parked()
        return len(picked)

    # -- lifecycle

    async def start(self) -> None:
        if self._running:
            return
        self._running = True
        for queue in self._queues.values():
            self._spawn(queue)

    async def drain(self, timeout: float = 10.0) -> None:
        """Wait until every queue is empty and no handler is running (tests, shutdown)."""
        async def all_done() -> None:
            while any(q.pending for q in self._queues.values()):
                await asyncio.sleep(0.005)

        await asyncio.wait_for(all_done(), timeout)

    async def stop(self, grace: float = 2.0) -> None:
        if not self._running:
            return
        try:
            await self.drain(grace)
        except TimeoutError:
            pending = sum(q.messages.qsize() for q in self._queues.values())
            log.warning("bus_stopped_with_pending_messages", pending=pending)
        self._running = False
        tasks = [t for q in self._queues.values() for t in q.workers]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    async def ping(self) -> bool:
        return self._running
