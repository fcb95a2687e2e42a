"""The projection fed through the bus: duplicates, reordering and a health check."""

import random

from lumi_shared.contracts import ModelReady


async def catalogue_state(gallery) -> list[dict]:
    return await gallery.db["catalogue"].find({}).sort("_id", 1).to_list()


async def test_redelivered_and_shuffled_events_build_the_same_catalogue(gallery, ev):
    history = []
    for n in range(4):
        model_id = f"e{n}"
        history += [ev.ready(model_id, version=3, visibility="PRIVATE"),
                    ev.updated(model_id, version=4, name=f"Name {n}"),
                    ev.updated(model_id, version=5, name=f"Final {n}")]
    history.append(ev.deleted("e3", version=6))
    await gallery.publish(*history)
    expected = await catalogue_state(gallery)
    await gallery.db["catalogue"].delete_many({})
    await gallery.db["processed_events"].delete_many({})
    rng = random.Random(3)
    redelivered = history * 2 + [e.model_copy(update={"event_id": f"x{i}"})
                                 for i, e in enumerate(history)]
    rng.shuffle(redelivered)
    await gallery.publish(*redelivered)
    assert await catalogue_state(gallery) == expected
    body = (await gallery.get("/api/gallery/models")).json()["data"]
    assert sorted(i["name"] for i in body["items"]) == ["Final 0", "Final 1", "Final 2"]


async def test_a_redelivered_event_is_skipped_by_its_event_id(gallery, ev):
    event = ev.ready("r1", version=3)
    await gallery.publish(event, event)
    marker = await gallery.db["processed_events"].find_one(
        {"_id": f"gallery.{ModelReady.routing_key}:{event.event_id}"})
    assert marker is not None


async def test_a_late_model_ready_after_deletion_does_not_come_back(gallery, ev):
    await gallery.publish(ev.deleted("z1", version=8), ev.ready("z1", version=5))
    assert (await gallery.get("/api/gallery/models/z1")).status_code == 404
    assert (await gallery.get("/api/gallery/models")).json()["data"]["total"] == 0


async def test_health_and_readiness_answer(gallery):
    assert (await gallery.get("/healthz")).status_code == 200
    ready = await gallery.get("/readyz")
    assert ready.status_code == 200 and ready.json()["data"]["checks"] == {
        "mongo": True, "broker": True}
