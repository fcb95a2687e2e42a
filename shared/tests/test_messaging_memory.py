import asyncio
import math

from lumi_shared.contracts import ImageCompleted, TaskCreated
from lumi_shared.docstore import InMemoryClient
from lumi_shared.errors import PoisonMessage
from lumi_shared.messaging import (
    InMemoryBus,
    OutboxRelay,
    ProcessedEvents,
    Subscription,
    idempotent,
    with_outbox,
)
from lumi_shared.messaging.topology import topic_matches
from lumi_shared.testing import wait_for


def event(prompt="p"):
    return TaskCreated(task_id="t1", user_id="u1", prompt=prompt)


def test_topic_matching_follows_amqp_rules():
    assert topic_matches("task.*", "task.created")
    assert not topic_matches("task.*", "task.images.ready")
    assert topic_matches("#", "a.b.c") and topic_matches("task.#", "task")
    assert not topic_matches("image.created", "task.created")


async def test_publish_does_not_wait_for_a_slow_consumer():
    bus = InMemoryBus()
    release = asyncio.Event()
    done = []

    async def slow(ev):
        await release.wait()
        done.append(ev.prompt)

    bus.subscribe(Subscription("svc", TaskCreated, slow))
    await bus.start()
    await asyncio.wait_for(bus.publish(event()), 0.1)
    assert done == []
    release.set()
    await bus.drain()
    assert done == ["p"]
    await bus.stop()


async def test_only_matching_subscriptions_receive_an_event_and_broadcast_sees_all():
    bus = InMemoryBus()
    got: dict[str, list] = {"a": [], "b": [], "all": []}
    bus.subscribe(Subscription("a", TaskCreated, lambda e: _append(got["a"], e)))
    bus.subscribe(Subscription("b", ImageCompleted, lambda e: _append(got["b"], e)))
    bus.subscribe_broadcast("gw", lambda e: _append(got["all"], e))
    await bus.start()
    await bus.publish(event())
    await bus.drain()
    assert len(got["a"]) == 1 and got["b"] == [] and len(got["all"]) == 1
    await bus.stop()


async def _append(target, item):
    target.append(item)


async def deliver(bus, handler) -> None:
    """Subscribe `handler`, publish one event and wait until the bus is done with it."""
    bus.subscribe(Subscription("svc", TaskCreated, handler))
    await bus.start()
    await bus.publish(event())
    await bus.drain()


def failing(times: float, error: Exception):
    """A handler that counts its calls and raises `error` in the first `times` of them."""
    attempts: list[int] = []

    async def handler(ev):
        attempts.append(1)
        if len(attempts) <= times:
            raise error

    return handler, attempts


async def test_a_failing_handler_is_retried_then_succeeds():
    bus = InMemoryBus(retry_base_delay=0.001)
    flaky, attempts = failing(2, RuntimeError("transient"))
    await deliver(bus, flaky)
    assert len(attempts) == 3 and not bus.parked
    await bus.stop()


async def test_a_handler_that_keeps_failing_is_parked_after_the_delivery_limit(tmp_path):
    bus = InMemoryBus(delivery_limit=3, retry_base_delay=0.001, parked_file=tmp_path / "p.jsonl")
    broken, attempts = failing(math.inf, RuntimeError("boom"))
    await deliver(bus, broken)
    assert len(attempts) == 3
    assert bus.parked[0]["queue"] == "svc.task.created"
    assert "boom" in (tmp_path / "p.jsonl").read_text()
    await bus.stop()


async def test_poison_is_parked_at_once():
    bus = InMemoryBus(retry_base_delay=0.001)
    reject, attempts = failing(math.inf, PoisonMessage("never valid"))
    await deliver(bus, reject)
    assert len(attempts) == 1 and bus.parked[0]["reason"].startswith("rejected")
    await bus.stop()


async def test_outbox_events_are_published_and_removed_from_the_document():
    store = InMemoryClient()
    tasks = store["gen"]["tasks"]
    bus = InMemoryBus()
    received = []
    bus.subscribe(Subscription("x", TaskCreated, lambda e: _append(received, e)))
    await bus.start()
    created = event()
    await tasks.insert_one({"_id": "t1"})
    await tasks.update_one({"_id": "t1"}, with_outbox({"$set": {"state": "new"}}, created))
    relay = OutboxRelay(bus, [tasks], interval=0.05)
    relay.start()
    await wait_for(lambda: received)
    await bus.drain()
    assert received[0].event_id == created.event_id
    assert (await tasks.find_one({"_id": "t1"}))["outbox"] == []
    await relay.stop()
    await bus.stop()


class FailingBus(InMemoryBus):
    def __init__(self):
        super().__init__()
        self.fail = True

    async def publish(self, ev):
        if self.fail:
            raise ConnectionError("broker down")
        await super().publish(ev)


async def test_outbox_keeps_events_while_the_broker_is_down_and_publishes_later():
    store = InMemoryClient()
    tasks = store["gen"]["tasks"]
    bus = FailingBus()
    await tasks.insert_one({"_id": "t1"})
    await tasks.update_one({"_id": "t1"}, with_outbox({"$set": {"a": 1}}, event()))
    relay = OutboxRelay(bus, [tasks])
    try:
        await relay.run_once()
    except ConnectionError:
        pass
    assert len((await tasks.find_one({"_id": "t1"}))["outbox"]) == 1
    bus.fail = False
    assert await relay.run_once() == 1
    assert (await tasks.find_one({"_id": "t1"}))["outbox"] == []


class SlowBus(InMemoryBus):
    """Each publish waits like a broker confirm; records order and how many were in flight."""

    def __init__(self, fail_prompt=None):
        super().__init__()
        self.sent, self.in_flight, self.most_in_flight = [], 0, 0
        self.fail_prompt = fail_prompt

    async def publish(self, ev):
        self.in_flight += 1
        self.most_in_flight = max(self.most_in_flight, self.in_flight)
        try:
            await asyncio.sleep(0.01)
            if ev.prompt == self.fail_prompt:
                raise ConnectionError("broker down")
            self.sent.append(ev.prompt)
        finally:
            self.in_flight -= 1


async def _documents_with_outboxes(tasks, docs, entries):
    for d in range(docs):
        await tasks.insert_one({"_id": f"t{d}"})
        for e in range(entries):
            await tasks.update_one({"_id": f"t{d}"},
                                   with_outbox({"$set": {"n": e}}, event(f"{d}:{e}")))


async def test_outbox_relay_publishes_documents_concurrently_each_in_order():
    tasks = InMemoryClient()["gen"]["tasks"]
    await _documents_with_outboxes(tasks, 20, 3)
    bus = SlowBus()
    relay = OutboxRelay(bus, [tasks], concurrency=8)
    assert await relay.run_once() == 60
    assert bus.most_in_flight == 8  # not one publish at a time
    for d in range(20):
        assert [p for p in bus.sent if p.startswith(f"{d}:")] == [f"{d}:{e}" for e in range(3)]
        assert (await tasks.find_one({"_id": f"t{d}"}))["outbox"] == []


async def test_outbox_relay_failure_keeps_the_rest_of_that_document_only():
    tasks = InMemoryClient()["gen"]["tasks"]
    await _documents_with_outboxes(tasks, 3, 3)
    bus = SlowBus(fail_prompt="1:1")
    relay = OutboxRelay(bus, [tasks])
    try:
        await relay.run_once()
        raise AssertionError("the broker failure must surface")
    except ConnectionError:
        pass
    left = [e["body"]["prompt"] for e in (await tasks.find_one({"_id": "t1"}))["outbox"]]
    assert left == ["1:1", "1:2"]  # 1:0 went out and left; the order is kept for later
    for other in ("t0", "t2"):
        assert (await tasks.find_one({"_id": other}))["outbox"] == []
    bus.fail_prompt = None
    assert await relay.run_once() == 2 and bus.sent[-2:] == ["1:1", "1:2"]


async def test_idempotent_consumer_applies_a_duplicate_event_once():
    processed = ProcessedEvents(InMemoryClient()["svc"]["processed_events"])
    effects = []

    async def handler(ev):
        effects.append(ev.event_id)

    wrapped = idempotent("svc.task.created", processed, handler)
    ev = event()
    for _ in range(3):
        await wrapped(ev)
    await wrapped(event("another"))
    assert effects.count(ev.event_id) == 1 and len(effects) == 2


async def test_a_failed_handler_is_not_marked_processed_so_the_redelivery_runs_it():
    processed = ProcessedEvents(InMemoryClient()["svc"]["processed_events"])
    calls = []

    async def handler(ev):
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("crash before the effect")

    wrapped = idempotent("c", processed, handler)
    ev = event()
    try:
        await wrapped(ev)
    except RuntimeError:
        pass
    await wrapped(ev)
    await wrapped(ev)
    assert len(calls) == 2


async def test_broadcast_delivery_keeps_publish_order_even_when_the_handler_yields():
    bus = InMemoryBus()
    seen = []

    async def slow_then_fast(ev):
        await asyncio.sleep(0.02 if ev.prompt == "0" else 0)
        seen.append(ev.prompt)

    bus.subscribe_broadcast("gw", slow_then_fast)
    await bus.start()
    for i in range(5):
        await bus.publish(event(str(i)))
    await bus.drain()
    assert seen == ["0", "1", "2", "3", "4"]
    await bus.stop()
