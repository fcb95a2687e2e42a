"""A database or broker outage is retried by the consumer itself (bounded backoff, bounded
total time) and does not use up the message's deliveries; a real failure still does."""

import asyncio
from contextlib import asynccontextmanager

import pytest
from pymongo.errors import ServerSelectionTimeoutError

from lumi_shared.contracts import TaskCreated
from lumi_shared.errors import ServiceUnavailable
from lumi_shared.messaging import InMemoryBus, Subscription
from lumi_shared.messaging.transient import is_transient, patient
from lumi_shared.testing import wait_for


def event() -> TaskCreated:
    return TaskCreated(task_id="t1", user_id="u1", prompt="p")


class FakeTime:
    def __init__(self) -> None:
        self.now, self.waits = 0.0, []

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.waits.append(seconds)
        self.now += seconds


def failing(times: int, error: Exception):
    calls = []

    async def handler(_event) -> None:
        calls.append(1)
        if len(calls) <= times:
            raise error

    return handler, calls


def test_what_counts_as_transient():
    assert is_transient(ServerSelectionTimeoutError("no server"))
    assert is_transient(ServiceUnavailable())
    assert not is_transient(ValueError("bad data"))
    try:
        raise RuntimeError("wrapped") from ServerSelectionTimeoutError("no server")
    except RuntimeError as wrapped:
        assert is_transient(wrapped)


async def test_an_outage_is_waited_out_with_growing_bounded_pauses():
    time = FakeTime()
    handler, calls = failing(6, ServerSelectionTimeoutError("database down"))
    await patient(handler, budget=120, sleep=time.sleep, clock=time.clock)(event())
    assert len(calls) == 7
    assert all(0.5 <= w <= 15 for w in time.waits)  # 0.5 s doubling, capped at 10 s + jitter
    assert time.waits[0] < 1 and time.waits[4] > 5


async def test_the_retrying_stops_at_the_budget_and_the_failure_surfaces():
    time = FakeTime()
    handler, _ = failing(10_000, ServerSelectionTimeoutError("database down"))
    with pytest.raises(ServerSelectionTimeoutError):
        await patient(handler, budget=30, sleep=time.sleep, clock=time.clock)(event())
    assert sum(time.waits) <= 30


async def test_a_real_failure_is_not_retried_here():
    time = FakeTime()
    handler, calls = failing(1, ValueError("bug"))
    with pytest.raises(ValueError):
        await patient(handler, budget=30, sleep=time.sleep, clock=time.clock)(event())
    assert len(calls) == 1 and time.waits == []


@asynccontextmanager
async def delivering(handler, **bus_options):
    """A bus with `handler` subscribed, one event published to it; stopped on exit."""
    bus = InMemoryBus(retry_base_delay=0.0, **bus_options)
    bus.subscribe(Subscription("svc", TaskCreated, handler))
    await bus.start()
    try:
        await bus.publish(event())
        yield bus
    finally:
        await bus.stop()


async def test_an_outage_longer_than_the_delivery_limit_parks_nothing():
    """1 delivery; the database is down for ~1.5 s (two failures)."""
    handler, calls = failing(2, ServerSelectionTimeoutError("database down"))
    async with delivering(handler, delivery_limit=1, transient_retry=20) as bus:
        await wait_for(lambda: len(calls) == 3, timeout=15)
        await asyncio.sleep(0.05)
        assert list(bus.parked) == []


async def test_without_the_retry_the_same_outage_parks_the_message():
    """Negative control: the check above can fail."""
    handler, calls = failing(2, ServerSelectionTimeoutError("database down"))
    async with delivering(handler, delivery_limit=1, transient_retry=0) as bus:
        await wait_for(lambda: len(bus.parked) == 1, timeout=5)
        assert len(calls) == 1


async def test_an_endless_outage_still_ends_parked_in_bounded_time():
    handler, calls = failing(10_000, ServerSelectionTimeoutError("database down"))
    async with delivering(handler, delivery_limit=2, transient_retry=1.0) as bus:
        await wait_for(lambda: len(bus.parked) == 1, timeout=10)  # ~2 x 1 s
        assert bus.parked[0]["reason"].startswith("ServerSelectionTimeoutError")
