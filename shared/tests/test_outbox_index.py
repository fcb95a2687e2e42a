"""The relay's sparse index on the first outbox entry: only documents with pending events are
in it, and the relay's query finds exactly those, however they got there."""

from lumi_shared.contracts import TaskCreated
from lumi_shared.docstore import InMemoryClient
from lumi_shared.messaging import InMemoryBus, OutboxRelay, with_outbox


async def test_the_relay_finds_exactly_the_documents_with_pending_events():
    collection = InMemoryClient()["db"]["tasks"]
    bus = InMemoryBus()
    relay = OutboxRelay(bus, [collection])
    await relay.ensure_indexes()
    await relay.ensure_indexes()  # idempotent
    event = TaskCreated(task_id="t1", user_id="u1", prompt="p")
    await collection.insert_many([{"_id": f"idle{i}", "outbox": []} for i in range(50)])
    await collection.insert_one({"_id": "t0", "outbox": []})
    await collection.update_one({"_id": "t0"}, with_outbox({"$set": {"x": 1}}, event))
    await collection.insert_one({"_id": "t2", "outbox": [], "x": 0})
    pending = await collection.find({"outbox.0": {"$exists": True}}, {"outbox": 1}).to_list()
    assert [d["_id"] for d in pending] == ["t0"]
    assert await relay.run_once() == 1
    assert bus.published == 1
    assert await collection.find({"outbox.0": {"$exists": True}}).to_list() == []
