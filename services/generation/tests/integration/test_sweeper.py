"""The sweeper: no task stays in a non-final state, deleted leftovers are purged."""

from datetime import timedelta

from generation.domain import images as jobs
from generation.domain import task as tasks
from lumi_shared.testing import as_user


async def insert_unstarted(harness, user="u1"):
    """A task whose TaskCreated never reached a worker (e.g. dead-lettered)."""
    doc, _ = tasks.new_task(user, "a lost task", harness.clock())
    await harness.generation.repo.insert(doc)
    return doc["_id"]


async def test_a_task_whose_images_never_started_becomes_failed_and_can_be_retried(open_app):
    async with open_app(SWEEP_RECOVERIES=0) as harness:  # recoveries: see the tests below
        await _never_started_becomes_failed_and_can_be_retried(harness)


async def _never_started_becomes_failed_and_can_be_retried(harness):
    task_id = await insert_unstarted(harness)
    sweeper = harness.generation.sweeper
    assert await sweeper.sweep() == 0
    harness.clock.advance(harness.generation.settings.IMAGE_STALL_TIMEOUT + 1)
    assert await sweeper.sweep() == 1
    await harness.settle()
    task = await harness.task(task_id)
    assert (task["status"], task["phase"]) == ("FAILED", "IMAGE_GENERATION")
    assert task["errorMessage"] == "Image generation did not finish in time"
    assert {img["imageStatus"] for img in task["images"]} == {"FAILED"}
    assert harness.published("task.failed", task_id)[0].status == "FAILED"

    response = await harness.client.post(f"/api/tasks/{task_id}/retry", json={"type": "image"},
                                         headers=as_user("u1"))
    assert response.status_code == 200
    await harness.settle()
    assert (await harness.task(task_id))["phase"] == "AWAITING_SELECTION"


async def test_an_image_whose_worker_died_times_out_after_its_lease(open_app):
    async with open_app(SWEEP_RECOVERIES=0) as harness:
        await _worker_died_times_out_after_its_lease(harness)


async def _worker_died_times_out_after_its_lease(harness):
    task_id = await insert_unstarted(harness)
    repo, lease = harness.generation.repo, timedelta(minutes=5)
    for i in range(4):
        await repo.mutate(task_id, jobs.claim(i, "dead-worker", lease))
    for i in range(3):
        await repo.mutate(task_id, jobs.complete(i, "dead-worker", f"http://files.test/{i}.png"))
    assert await harness.generation.sweeper.sweep() == 0
    harness.clock.advance(lease.total_seconds() + 1)
    assert await harness.generation.sweeper.sweep() == 1
    task = await harness.task(task_id)
    assert task["status"] == "IMAGE_FAILED"
    assert task["images"][3]["errorMessage"] == "Image generation timed out"
    assert task["images"][3]["generationJob"]["status"] == "TIMEOUT"


async def test_a_model_that_never_answers_becomes_model_failed(harness):
    task = await harness.ready_task()
    await harness.select(task["id"], 0)
    harness.clock.advance(harness.generation.settings.MODEL_STALL_TIMEOUT + 1)
    assert await harness.generation.sweeper.sweep() == 1
    await harness.settle()
    failed = await harness.task(task["id"])
    assert (failed["status"], failed["phase"]) == ("MODEL_FAILED", "MODEL_GENERATION")
    assert failed["model"]["generationJob"]["status"] == "TIMEOUT"
    assert harness.published("task.failed", task["id"])[0].status == "MODEL_FAILED"


async def test_final_states_are_left_alone(harness):
    task = await harness.ready_task()
    harness.clock.advance(10 * 24 * 3600)
    assert await harness.generation.sweeper.sweep() == 0
    assert (await harness.task(task["id"]))["updatedAt"] == task["updatedAt"]


async def test_deleted_tasks_whose_purge_was_lost_are_removed_later(harness):
    task_id = await insert_unstarted(harness)
    storage, repo = harness.generation.storage, harness.generation.repo
    await storage.put(f"images/{task_id}/0.png", b"png")
    await repo.mutate(task_id, tasks.mark_deleted)
    await repo.collection.update_one({"_id": task_id}, {"$set": {"outbox": []}})
    harness.clock.advance(harness.generation.settings.DELETED_PURGE_AFTER + 1)
    assert await harness.generation.sweeper.sweep() == 1
    assert await repo.collection.find_one({"_id": task_id}) is None
    assert not (storage.root / "images" / task_id).exists()


async def test_an_image_whose_worker_died_is_handed_back_and_the_task_completes(harness):
    task_id = await insert_unstarted(harness)
    repo, lease = harness.generation.repo, timedelta(minutes=5)
    for i in range(4):
        await repo.mutate(task_id, jobs.claim(i, "killed-worker", lease))
    await repo.mutate(task_id, jobs.complete(0, "killed-worker", "http://files.test/0.png"))
    harness.clock.advance(lease.total_seconds() + 1)
    assert await harness.generation.sweeper.sweep() == 1
    await harness.settle()  # TaskImagesRetried -> the image worker runs the three again
    task = await harness.task(task_id)
    assert (task["status"], task["phase"]) == ("IMAGE_COMPLETED", "AWAITING_SELECTION")
    assert harness.published("task.failed", task_id) == []


async def test_a_cancelled_worker_gives_its_images_back_at_once(open_app):
    import asyncio

    async with open_app(SIMULATED_IMAGE_LATENCY=30.0) as harness:
        task_id = await insert_unstarted(harness)
        running = asyncio.create_task(harness.generation.worker.run(task_id))
        await asyncio.sleep(0.5)
        assert {i["imageStatus"] for i in (await harness.task(task_id))["images"]} == {"GENERATING"}
        running.cancel()  # what a lost broker connection does to the consumer's handler
        await asyncio.gather(running, return_exceptions=True)
        task = await harness.task(task_id)
        assert {i["imageStatus"] for i in task["images"]} == {"PENDING"}
        assert task["status"] == "IMAGE_GENERATING"  # nothing failed; redelivery claims them
