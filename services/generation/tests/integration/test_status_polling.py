"""`GET /api/tasks/{id}/status?since=`: 304 when unchanged, and no update is ever missed."""

import pytest

from lumi_shared.contracts import ModelGenerating, ModelProgressed
from lumi_shared.testing import as_user

NO_CACHE = "no-cache, must-revalidate"


async def poll(harness, task_id, since=None):
    params = {"since": since} if since is not None else {}
    return await harness.client.get(f"/api/tasks/{task_id}/status", params=params,
                                    headers=as_user("u1"))


async def test_status_without_since_is_the_full_task_with_no_cache(harness):
    task = await harness.create()
    response = await poll(harness, task["id"])
    assert response.status_code == 200
    assert response.headers["cache-control"] == NO_CACHE
    assert response.json()["data"]["id"] == task["id"]
    assert len(response.json()["data"]["images"]) == 4


async def test_nothing_changed_since_the_last_update_is_a_304_without_body(harness):
    task = await harness.ready_task()
    response = await poll(harness, task["id"], task["updatedAt"])
    assert response.status_code == 304 and response.content == b""
    same_instant = task["updatedAt"].replace("Z", "+00:00")
    assert (await poll(harness, task["id"], same_instant)).status_code == 304


async def test_an_older_since_returns_the_task(harness):
    task = await harness.create()
    await harness.settle()
    response = await poll(harness, task["id"], task["updatedAt"])
    assert response.status_code == 200
    assert response.json()["data"]["phase"] == "AWAITING_SELECTION"


@pytest.mark.parametrize("since", ["yesterday", "2025-13-45T00:00:00Z", "", "12:00"])
async def test_a_malformed_since_is_a_400(harness, since):
    task = await harness.create()
    response = await poll(harness, task["id"], since)
    assert response.status_code == 400
    assert response.json()["data"]["code"] == "VALIDATION_ERROR"


async def test_two_updates_within_the_same_millisecond_are_both_seen(harness):
    task = await harness.ready_task()
    model_id = (await harness.select(task["id"], 0)).json()["data"]["model"]["id"]
    seen = (await poll(harness, task["id"])).json()["data"]
    harness.clock.freeze()
    ids = {"task_id": task["id"], "user_id": "u1", "model_id": model_id}

    await harness.deliver(ModelGenerating(**ids, version=1))
    first = await poll(harness, task["id"], seen["updatedAt"])
    assert first.status_code == 200
    first = first.json()["data"]
    assert first["status"] == "MODEL_GENERATING"

    await harness.deliver(ModelProgressed(**ids, version=2, progress=30, status="RUN"))
    second = await poll(harness, task["id"], first["updatedAt"])
    assert second.status_code == 200
    second = second.json()["data"]
    assert second["model"]["generationJob"]["progress"] == 30
    assert seen["updatedAt"] < first["updatedAt"] < second["updatedAt"]
    assert (await poll(harness, task["id"], second["updatedAt"])).status_code == 304


async def test_every_write_of_the_image_pipeline_moves_the_marker_even_in_one_millisecond(harness):
    from datetime import datetime, timedelta

    harness.clock.freeze()
    task = await harness.create()
    await harness.settle()
    final = await harness.task(task["id"])
    parse = lambda s: datetime.fromisoformat(s.replace("Z", "+00:00"))  # noqa: E731
    writes = 1 + 4 + 4  # prompt variants, four claims, four completions
    assert parse(final["updatedAt"]) - parse(task["updatedAt"]) == timedelta(milliseconds=writes)
