"""The whole flow on the in-process bus with the simulated providers."""

from datetime import UTC, datetime

import pytest

from lumi_shared.contracts import (
    ModelFailed,
    ModelFiles,
    ModelGenerating,
    ModelProgressed,
    ModelReady,
    PrintStatusChanged,
    PrintSubmitted,
)
from lumi_shared.testing import as_user, wait_for


async def test_a_created_task_reaches_four_completed_images_awaiting_selection(harness):
    created = await harness.create("a small red dragon")
    assert created["status"] == "IMAGE_PENDING"
    assert [img["imageStatus"] for img in created["images"]] == ["PENDING"] * 4

    await harness.settle()
    task = await harness.task(created["id"])

    assert (task["status"], task["phase"]) == ("IMAGE_COMPLETED", "AWAITING_SELECTION")
    assert [img["imageStatus"] for img in task["images"]] == ["COMPLETED"] * 4
    for img in task["images"]:
        assert img["imageUrl"] == img["url"] == \
            f"http://files.test/files/images/{created['id']}/{img['index']}.png"
        assert img["imagePrompt"].startswith("a small red dragon")
        data = await harness.generation.storage.get(f"images/{created['id']}/{img['index']}.png")
        assert data.startswith(b"\x89PNG")
    assert len(harness.published("image.generating", created["id"])) == 4
    assert len(harness.published("image.completed", created["id"])) == 4
    assert len(harness.published("task.images_ready", created["id"])) == 1


async def test_with_the_default_simulated_latency_a_polling_client_sees_selection_within_seconds(
        open_app):
    async with open_app(SIMULATED_IMAGE_LATENCY=0.4) as h:
        task = await h.create()

        async def awaiting_selection():
            response = await h.client.get(f"/api/tasks/{task['id']}/status",
                                          headers=as_user("u1"))
            return response.json()["data"]["phase"] == "AWAITING_SELECTION"

        await wait_for(awaiting_selection, timeout=5.0, interval=0.1)


async def test_a_redelivered_task_created_does_not_redo_completed_images(harness):
    task = await harness.ready_task()
    urls = [img["imageUrl"] for img in task["images"]]
    (created,) = harness.published("task.created", task["id"])
    await harness.deliver(created.model_copy(update={"event_id": "redelivered-copy"}))
    again = await harness.task(task["id"])
    assert [img["imageUrl"] for img in again["images"]] == urls
    assert again["updatedAt"] == task["updatedAt"]
    assert len(harness.published("image.generating", task["id"])) == 4


async def test_selecting_an_image_emits_image_selected_with_the_new_model_id(harness):
    task = await harness.ready_task()
    response = await harness.select(task["id"], 2)
    assert response.status_code == 200
    data = response.json()["data"]
    assert data["selectedImageIndex"] == 2
    assert data["model"]["generationJob"] == {"status": "PENDING", "progress": 0}
    assert (data["task"]["status"], data["task"]["phase"]) == ("MODEL_PENDING", "MODEL_GENERATION")
    assert data["task"]["model"]["id"] == data["model"]["id"]
    await harness.settle()
    (event,) = harness.published("image.selected", task["id"])
    assert (event.model_id, event.index, event.user_id) == (data["model"]["id"], 2, "u1")
    assert event.image_url == task["images"][2]["imageUrl"]
    assert event.prompt == "a small red dragon" and event.retry is False


async def test_fifty_concurrent_selections_yield_exactly_one_image_selected(harness):
    import asyncio

    task = await harness.ready_task()
    responses = await asyncio.gather(*(harness.select(task["id"], i % 4) for i in range(50)))
    codes = sorted(r.status_code for r in responses)
    assert codes.count(200) == 1 and codes.count(409) == 49
    await harness.settle()
    assert len(harness.published("image.selected", task["id"])) == 1


@pytest.mark.parametrize("body", [{}, {"selectedImageIndex": "2"}, {"selectedImageIndex": 1.0},
                                  {"selectedImageIndex": 1.5}, {"selectedImageIndex": True},
                                  {"selectedImageIndex": -1}, {"selectedImageIndex": 4},
                                  {"selectedImageIndex": None}, {"index": 1}])
async def test_selection_refuses_anything_but_an_integer_from_0_to_3(harness, body):
    task = await harness.ready_task()
    response = await harness.client.patch(f"/api/tasks/{task['id']}", json=body,
                                          headers=as_user("u1"))
    assert response.status_code == 400
    assert (await harness.task(task["id"]))["status"] == "IMAGE_COMPLETED"


async def test_selection_before_the_images_are_ready_is_an_invalid_state(harness):
    task = await harness.create()
    response = await harness.select(task["id"], 0)
    assert response.status_code == 409
    assert response.json()["data"]["code"] == "INVALID_STATE"


async def test_a_second_selection_is_a_conflict(harness):
    task = await harness.ready_task()
    assert (await harness.select(task["id"], 0)).status_code == 200
    response = await harness.select(task["id"], 1)
    assert response.status_code == 409


async def test_model_events_drive_the_task_to_completed(harness):
    task = await harness.ready_task()
    model_id = (await harness.select(task["id"], 1)).json()["data"]["model"]["id"]
    ids = {"task_id": task["id"], "user_id": "u1", "model_id": model_id}
    await harness.deliver(ModelGenerating(**ids, version=1))
    assert (await harness.task(task["id"]))["status"] == "MODEL_GENERATING"
    await harness.deliver(ModelProgressed(**ids, version=2, progress=40, status="RUN"))
    running = await harness.task(task["id"])
    assert running["model"]["generationJob"] == {"status": "RUNNING", "progress": 40}
    files = ModelFiles(model_url="http://files.test/files/models/m/model.glb", format="GLB",
                       glb_url="http://files.test/files/models/m/model.glb")
    now = datetime.now(UTC)
    await harness.deliver(ModelReady(**ids, version=3, name="Dragon", visibility="PUBLIC",
                                     files=files, created_at=now, completed_at=now))
    done = await harness.task(task["id"])
    assert (done["status"], done["phase"]) == ("COMPLETED", "COMPLETED")
    assert done["completedAt"] is not None
    assert done["model"]["modelUrl"] == files.model_url and done["model"]["name"] == "Dragon"
    await harness.deliver(ModelProgressed(**ids, version=2, progress=90, status="RUN"))
    assert (await harness.task(task["id"]))["status"] == "COMPLETED"


async def test_a_failed_model_is_visible_and_can_be_retried_with_the_same_model_id(harness):
    task = await harness.ready_task()
    model_id = (await harness.select(task["id"], 0)).json()["data"]["model"]["id"]
    ids = {"task_id": task["id"], "user_id": "u1", "model_id": model_id}
    retry = harness.client.post(f"/api/tasks/{task['id']}/retry", json={"type": "model"},
                                headers=as_user("u1"))
    assert (await retry).status_code == 409
    await harness.deliver(ModelFailed(**ids, version=2, error_message="3D provider failed"))
    failed = await harness.task(task["id"])
    assert (failed["status"], failed["phase"]) == ("MODEL_FAILED", "MODEL_GENERATION")
    assert failed["model"]["failedAt"] and failed["errorMessage"] == "3D provider failed"
    assert harness.published("task.failed", task["id"])[-1].status == "MODEL_FAILED"

    response = await harness.client.post(f"/api/tasks/{task['id']}/retry",
                                         json={"type": "model"}, headers=as_user("u1"))
    assert response.status_code == 200
    assert response.json()["data"]["status"] == "MODEL_PENDING"
    await harness.settle()
    first, again = harness.published("image.selected", task["id"])
    assert (again.model_id, again.retry, again.attempt) == (model_id, True, 2)
    await harness.deliver(ModelGenerating(**ids, version=3))
    assert (await harness.task(task["id"]))["status"] == "MODEL_GENERATING"


@pytest.mark.parametrize("body", [{}, {"type": "both"}, {"type": 1}, {"type": "IMAGE"}])
async def test_retry_refuses_unknown_types(harness, body):
    task = await harness.ready_task()
    response = await harness.client.post(f"/api/tasks/{task['id']}/retry", json=body,
                                         headers=as_user("u1"))
    assert response.status_code == 400


async def test_retrying_images_when_nothing_failed_is_a_conflict(harness):
    task = await harness.ready_task()
    response = await harness.client.post(f"/api/tasks/{task['id']}/retry", json={"type": "image"},
                                         headers=as_user("u1"))
    assert response.status_code == 409


async def test_print_events_show_up_in_the_task(harness):
    task = await harness.ready_task()
    base = {"task_id": task["id"], "user_id": "u1", "model_id": "m1", "print_job_id": "p1"}
    await harness.deliver(PrintSubmitted(**base))
    await harness.deliver(PrintStatusChanged(**base, status="PRINTING", progress=75, version=2))
    summary = (await harness.task(task["id"]))["print"]
    assert (summary["printJobId"], summary["status"], summary["progress"]) == ("p1", "PRINTING", 75)


async def test_deleting_a_task_hides_it_at_once_emits_task_deleted_and_removes_its_files(harness):
    task = await harness.ready_task()
    model_id = (await harness.select(task["id"], 0)).json()["data"]["model"]["id"]
    storage = harness.generation.storage
    response = await harness.client.delete(f"/api/tasks/{task['id']}", headers=as_user("u1"))
    assert response.status_code == 200 and response.json()["data"]["deleted"] is True
    assert (await harness.client.get(f"/api/tasks/{task['id']}",
                                     headers=as_user("u1"))).status_code == 404
    listed = (await harness.client.get("/api/tasks", headers=as_user("u1"))).json()["data"]
    assert listed["total"] == 0
    again = await harness.client.delete(f"/api/tasks/{task['id']}", headers=as_user("u1"))
    assert again.status_code == 404
    await harness.settle()
    (deleted,) = harness.published("task.deleted", task["id"])
    assert deleted.model_id == model_id
    assert not (storage.root / "images" / task["id"]).exists()
    assert await harness.generation.repo.collection.find_one({"_id": task["id"]}) is None


async def test_deleting_while_images_generate_leaves_no_files_behind(harness):
    task = await harness.create()
    assert (await harness.client.delete(f"/api/tasks/{task['id']}",
                                        headers=as_user("u1"))).status_code == 200
    await harness.settle()
    assert not (harness.generation.storage.root / "images" / task["id"]).exists()
    assert harness.published("task.deleted", task["id"])
