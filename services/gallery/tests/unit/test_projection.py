"""The catalogue projection: versions, tombstones and counters, on the repository itself."""

import itertools
import random

from gallery.domain import InteractionType
from gallery.repository import MongoCatalogueRepository, MongoInteractionRepository
from gallery.service import (
    project_model_deleted,
    project_model_failed,
    project_model_ready,
    project_model_updated,
)
from lumi_shared.contracts import ModelDeleted, ModelFailed, ModelReady, ModelUpdated
from lumi_shared.docstore import InMemoryClient


def repos():
    db = InMemoryClient()["lumi_gallery"]
    return MongoCatalogueRepository(db), MongoInteractionRepository(db)


async def apply(catalogue, interactions, event) -> None:
    if isinstance(event, ModelReady):
        await project_model_ready(catalogue=catalogue, event=event)
    elif isinstance(event, ModelUpdated):
        await project_model_updated(catalogue=catalogue, event=event)
    elif isinstance(event, ModelFailed):
        await project_model_failed(catalogue=catalogue, event=event)
    elif isinstance(event, ModelDeleted):
        await project_model_deleted(catalogue=catalogue, interactions=interactions, event=event)


async def final_state(events) -> dict | None:
    catalogue, interactions = repos()
    for event in events:
        await apply(catalogue, interactions, event)
    return await catalogue.get("m1")


async def test_model_ready_creates_a_ready_public_entry_with_zero_counters(ev):
    catalogue, interactions = repos()
    await apply(catalogue, interactions, ev.ready("m1", "u1", version=3))
    doc = await catalogue.get("m1")
    assert doc["status"] == "READY" and doc["visibility"] == "PUBLIC"
    assert doc["user_id"] == "u1" and doc["owner_name"] == "Owner"
    assert doc["model_url"] == "http://files/m1.glb" and doc["version"] == 3
    assert [doc[c] for c in ("like_count", "favorite_count", "view_count",
                             "download_count")] == [0, 0, 0, 0]


async def test_duplicated_and_shuffled_events_give_the_same_final_state(ev):
    history = [ev.ready("m1", version=3, visibility="PRIVATE"),
               ev.updated("m1", version=4, visibility="PUBLIC", name="First"),
               ev.updated("m1", version=6, visibility="PUBLIC", name="Second")]
    expected = await final_state(history)
    assert expected["name"] == "Second" and expected["status"] == "READY"
    assert expected["model_url"] and expected["visibility"] == "PUBLIC"
    for order in itertools.permutations(history):
        assert await final_state(list(order)) == expected
    rng = random.Random(1)
    for _ in range(20):
        noisy = history * 3
        rng.shuffle(noisy)
        assert await final_state(noisy) == expected


async def test_an_update_overtaking_model_ready_keeps_its_metadata_and_gets_the_files(ev):
    doc = await final_state([ev.updated("m1", version=7, visibility="PRIVATE", name="Mine"),
                             ev.ready("m1", version=5, visibility="PUBLIC")])
    assert doc["name"] == "Mine" and doc["visibility"] == "PRIVATE"
    assert doc["status"] == "READY" and doc["model_url"] == "http://files/m1.glb"


async def test_a_stale_update_is_dropped(ev):
    doc = await final_state([ev.ready("m1", version=5, name="Current"),
                             ev.updated("m1", version=4, name="Old")])
    assert doc["name"] == "Current"


async def test_a_tombstone_stops_a_late_model_ready_from_resurrecting_the_model(ev):
    for order in ([ev.ready("m1", version=5), ev.deleted("m1", version=9)],
                  [ev.deleted("m1", version=9), ev.ready("m1", version=5),
                   ev.updated("m1", version=8)]):
        doc = await final_state(order)
        assert doc["status"] == "DELETED" and doc["version"] == 9
        assert "model_url" not in doc and "name" not in doc


async def test_a_later_failure_hides_the_model_and_a_stale_one_is_ignored(ev):
    failed = ModelFailed(task_id="t", user_id="owner", model_id="m1", version=6,
                         error_message="boom")
    stale = failed.model_copy(update={"version": 2, "event_id": "other"})
    assert (await final_state([ev.ready("m1", version=5), stale]))["status"] == "READY"
    assert (await final_state([ev.ready("m1", version=5), failed]))["status"] == "FAILED"


async def test_catalogue_events_never_overwrite_counters(ev):
    catalogue, interactions = repos()
    await apply(catalogue, interactions, ev.ready("m1", version=3))
    for counter in ("like_count", "view_count", "download_count"):
        await catalogue.bump("m1", counter, 2)
    for event in (ev.ready("m1", version=4), ev.updated("m1", version=5),
                  ev.ready("m1", version=4)):
        await apply(catalogue, interactions, event)
    doc = await catalogue.get("m1")
    assert (doc["like_count"], doc["view_count"], doc["download_count"]) == (2, 2, 2)


async def test_model_deleted_removes_the_models_interactions(ev):
    catalogue, interactions = repos()
    await apply(catalogue, interactions, ev.ready("m1", version=3))
    await interactions.begin_add("u1", "m1", InteractionType.LIKE)
    await apply(catalogue, interactions, ev.deleted("m1", version=4))
    assert await interactions.count_for_user("u1", InteractionType.LIKE) == 0


async def test_unknown_visibility_is_treated_as_private(ev):
    doc = await final_state([ev.ready("m1", version=3, visibility="unlisted")])
    assert doc["visibility"] == "PRIVATE"


async def test_a_failed_model_that_runs_again_becomes_ready(ev):
    failed = ModelFailed(task_id="t", user_id="owner", model_id="m1", version=6,
                         error_message="boom")
    for order in ([failed, ev.ready("m1", version=9)], [ev.ready("m1", version=9), failed]):
        doc = await final_state(order)
        assert doc["status"] == "READY" and doc["error_message"] is None
