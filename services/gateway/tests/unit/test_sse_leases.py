from datetime import UTC, datetime, timedelta

import pytest
from pymongo.errors import DuplicateKeyError

from gateway.streams import StreamLeases
from lumi_shared.docstore import InMemoryClient
from lumi_shared.errors import RateLimited


def replicas(count: int, now: list[datetime]) -> list[StreamLeases]:
    collection = InMemoryClient()["lumi_gateway"]["sse_streams"]
    return [StreamLeases(collection, cap=2, lease=90.0, clock=lambda: now[0])
            for _ in range(count)]


async def test_the_cap_counts_a_users_streams_on_every_replica():
    now = [datetime(2026, 1, 1, tzinfo=UTC)]
    a, b = replicas(2, now)
    first = await a.take("u1")
    await b.take("u1")
    with pytest.raises(RateLimited) as refused:
        await a.take("u1")
    assert refused.value.status == 429 and "2 open event streams" in refused.value.message
    await a.take("u2")  # another user's streams are their own
    await a.release(first)
    await b.take("u1")
    assert await a.collection.count_documents({"user": "u1"}) == 2


async def test_a_dead_replicas_streams_lapse_and_a_live_ones_are_renewed():
    now = [datetime(2026, 1, 1, tzinfo=UTC)]
    live, dead = replicas(2, now)
    await live.take("u1")
    await dead.take("u1")
    now[0] += timedelta(seconds=60)
    await live.renew()
    now[0] += timedelta(seconds=40)  # the dead replica's lease lapsed, the renewed one did not
    await live.take("u1")
    with pytest.raises(RateLimited):
        await live.take("u1")


async def test_a_stopping_replica_releases_its_streams():
    now = [datetime(2026, 1, 1, tzinfo=UTC)]
    stopping, other = replicas(2, now)
    await stopping.take("u1")
    stopping.release_soon(await stopping.take("u1"))
    await stopping.release_all()
    await other.take("u1")
    await other.take("u1")
    assert await other.collection.count_documents({}) == 2


class RetriedInsert:
    """A collection whose first insert is applied, then answered as a duplicate key: what a
    server without retryable-write dedupe answers to the driver's automatic retry."""

    def __init__(self, collection) -> None:
        self.collection = collection

    def __getattr__(self, name):
        return getattr(self.collection, name)

    async def insert_one(self, document):
        await self.collection.insert_one(document)
        raise DuplicateKeyError("E11000 duplicate key error")


async def test_a_retried_lease_insert_still_opens_the_stream_and_counts():
    now = [datetime(2026, 1, 1, tzinfo=UTC)]
    leases = StreamLeases(RetriedInsert(InMemoryClient()["lumi_gateway"]["sse_streams"]),
                          cap=1, lease=90.0, clock=lambda: now[0])
    stream = await leases.take("u1")
    assert await leases.collection.count_documents({"_id": stream}) == 1
    with pytest.raises(RateLimited):
        await leases.take("u1")


async def test_a_replica_restarting_under_its_name_drops_its_crashed_lifes_leases_at_once():
    now = [datetime(2026, 1, 1, tzinfo=UTC)]
    collection = InMemoryClient()["lumi_gateway"]["sse_streams"]

    def replica(name: str | None) -> StreamLeases:
        return StreamLeases(collection, cap=2, lease=90.0, replica=name, clock=lambda: now[0])

    crashed, other = replica("gateway-7f9c"), replica("gateway-2b1d")
    await crashed.take("u1")
    await crashed.take("u2")
    await other.take("u2")
    restarted = replica("gateway-7f9c")  # kill -9, same pod: nothing was released
    await restarted.forget_previous_life()
    await restarted.take("u1")
    await restarted.take("u1")  # both of u1's slots are free again, without waiting 90 s
    assert await collection.count_documents({"user": "u2"}) == 1  # the other replica's stays
    anonymous = replica(None)  # no name: a random one, nothing of anyone else's is touched
    await anonymous.forget_previous_life()
    assert await collection.count_documents({}) == 3
