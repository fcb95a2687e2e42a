"""The SSE history under racing writers (every replica appends every event, in publish
order), on the in-process store and (marked `mongo`) on the real server CI runs."""

import asyncio
import uuid

import pytest

from gateway.history import History
from lumi_shared import contracts as c
from lumi_shared.docstore import InMemoryClient


async def race(collection, replicas: int = 4) -> None:
    """`replicas` writers, each its own History (its own memory of the last position)."""
    stores = [History(collection, max_frames=50, max_age=600.0) for _ in range(replicas)]
    store = stores[0]
    await store.ensure_indexes()
    task = uuid.uuid4().hex
    events = [c.ImageGenerating(task_id=task, user_id="u1", image_id=f"i{i}", index=i)
              for i in range(40)]

    async def replica(writer: History) -> None:
        for event in events:
            await writer.append(event, task, "image:generating", {"index": event.index}, False)

    await asyncio.gather(*(replica(writer) for writer in stores))
    doc = await store.load(task)
    assert doc["seq"] == 40 and "eids" not in doc
    assert [f["seq"] for f in doc["frames"]] == list(range(1, 41))
    assert [f["data"]["index"] for f in doc["frames"]] == list(range(40))  # publish order
    assert store.resume_point(doc, f"{doc['epoch']}-17", "u1") == 17


async def test_racing_replicas_record_each_event_once_in_order_in_process():
    await race(InMemoryClient()["lumi_gateway"]["sse_history"])


class Counting:
    """A collection that counts the calls the history makes."""

    def __init__(self, collection) -> None:
        self.collection, self.calls = collection, 0

    def __getattr__(self, name):
        attr = getattr(self.collection, name)
        if not callable(attr):
            return attr

        def counted(*args, **kwargs):
            self.calls += 1
            return attr(*args, **kwargs)

        return counted


async def test_a_lone_writer_appends_with_one_round_trip_per_event():
    collection = Counting(InMemoryClient()["lumi_gateway"]["sse_history"])
    store, task = History(collection, max_frames=50, max_age=600.0), uuid.uuid4().hex
    events = [c.ImageGenerating(task_id=task, user_id="u1", image_id=f"i{i}", index=i)
              for i in range(10)]
    await store.append(events[0], task, "image:generating", {"index": 0}, False)
    collection.calls = 0
    for event in events[1:]:
        await store.append(event, task, "image:generating", {"index": event.index}, False)
    assert collection.calls == 9
    again = await store.append(events[4], task, "image:generating", {"index": 4}, False)
    assert again["seq"] == 10  # a duplicate is still recorded once


@pytest.mark.mongo
async def test_racing_replicas_record_each_event_once_in_order_on_the_server(real_mongo):
    client, name = real_mongo
    await race(client[name]["sse_history"])
    indexes = await client[name]["sse_history"].index_information()
    assert any(i.get("expireAfterSeconds") == 0 for i in indexes.values())
