import asyncio
from datetime import UTC, datetime

import pytest

from lumi_shared.aggregate import AggregateStore, Change
from lumi_shared.contracts import TaskDeleted
from lumi_shared.docstore import InMemoryClient
from lumi_shared.errors import ServiceUnavailable


@pytest.fixture
def kicks():
    return []


@pytest.fixture
def store(kicks):
    coll = InMemoryClient()["db"]["things"]
    return AggregateStore(coll, on_outbox=lambda: kicks.append(1),
                          stamp=lambda doc, now: {"updatedAt": now})


async def test_change_sets_fields_bumps_rev_and_records_events_in_the_same_write(store, kicks):
    await store.insert({"_id": "a", "n": 0, "userId": "u"})
    event = TaskDeleted(task_id="a", user_id="u")
    result = await store.mutate({"_id": "a"}, lambda doc, now: Change(
        {"n": doc["n"] + 1}, [event], inc={"hits": 2}))
    assert result.changed and result.doc["n"] == 1 and result.doc["rev"] == 1
    assert result.doc["hits"] == 2 and result.doc["updatedAt"].tzinfo is not None
    raw = await store.collection.find_one({"_id": "a"})
    assert [e["event_id"] for e in raw["outbox"]] == [event.event_id]
    assert "outbox" not in result.doc and kicks == [1]


async def test_no_change_and_no_match_write_nothing(store, kicks):
    await store.insert({"_id": "a", "n": 0})
    assert await store.mutate({"_id": "b"}, lambda d, n: Change({"n": 1})) is None
    same = await store.mutate({"_id": "a"}, lambda d, n: None)
    assert not same.changed and same.doc["rev"] == 0 and kicks == []


async def test_concurrent_transitions_each_see_the_current_state(store):
    await store.insert({"_id": "a", "n": 0})

    async def bump():
        await asyncio.sleep(0)
        return await store.mutate({"_id": "a"}, lambda doc, now: Change({"n": doc["n"] + 1}))

    await asyncio.gather(*(bump() for _ in range(40)))
    doc = await store.find_one({"_id": "a"})
    assert doc["n"] == 40 and doc["rev"] == 40


async def test_a_write_that_always_loses_ends_in_a_bounded_503():
    class Losing:
        async def find_one(self, *_a, **_k):
            return {"_id": "a", "rev": 0, "at": datetime(2026, 1, 1)}

        async def find_one_and_update(self, *_a, **_k):
            return None

    store = AggregateStore(Losing(), clock=lambda: datetime(2026, 1, 1, tzinfo=UTC))
    with pytest.raises(ServiceUnavailable):
        await store.mutate({"_id": "a"}, lambda d, n: Change({"x": 1}))


class CountingReads:
    """The collection, with its reads of one document counted."""

    def __init__(self, collection):
        self.collection, self.reads = collection, 0

    async def find_one(self, *args, **kwargs):
        self.reads += 1
        return await self.collection.find_one(*args, **kwargs)

    def __getattr__(self, name):
        return getattr(self.collection, name)


async def test_a_write_from_the_document_the_caller_holds_reads_nothing(store):
    await store.insert({"_id": "a", "n": 0})
    seen = await store.find_one({"_id": "a"})
    store.collection = counting = CountingReads(store.collection)
    first = await store.mutate({"_id": "a"}, lambda doc, now: Change({"n": doc["n"] + 1}),
                               current=seen)
    second = await store.mutate({"_id": "a"}, lambda doc, now: Change({"n": doc["n"] + 1}),
                                current=first.doc)
    assert second.doc["n"] == 2 and second.doc["rev"] == 2 and counting.reads == 0


async def test_a_stale_document_is_read_again_and_the_change_decided_on_the_stored_one(store):
    await store.insert({"_id": "a", "n": 0})
    stale = await store.find_one({"_id": "a"})
    await store.mutate({"_id": "a"}, lambda doc, now: Change({"n": 10}))  # someone else
    result = await store.mutate({"_id": "a"}, lambda doc, now: Change({"n": doc["n"] + 1}),
                                current=stale)
    assert result.doc["n"] == 11 and result.doc["rev"] == 2


async def test_no_change_is_only_decided_on_the_stored_document(store):
    """A transition that finds nothing to do on the caller's (stale) copy is asked again on
    the stored one: "already done" on an old copy is not an answer."""
    await store.insert({"_id": "a", "state": "open"})
    stale = {**(await store.find_one({"_id": "a"})), "state": "closed"}

    def close(doc, now):
        return None if doc["state"] == "closed" else Change({"state": "closed"})

    result = await store.mutate({"_id": "a"}, close, current=stale)
    assert result.changed and result.doc["state"] == "closed" and result.doc["rev"] == 1
