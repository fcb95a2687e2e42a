"""A paused image_generation queue: new tasks keep their images PENDING (the event is handled,
nothing is held), the sweeper does not count them as stalled, and resuming runs them all."""

from lumi_shared.testing import as_user, wait_for

QUEUE = "/api/admin/queues/image_generation"


async def test_paused_tasks_wait_and_run_on_resume(harness):
    admin = as_user("a1", "admin")
    paused = await harness.client.post(f"{QUEUE}/pause", headers=admin)
    assert paused.status_code == 200 and paused.json()["data"]["active"] is False
    ids = [(await harness.create(f"a paused dragon {i}"))["id"] for i in range(3)]
    await harness.settle()
    for task_id in ids:
        task = await harness.task(task_id)
        assert [i["imageStatus"] for i in task["images"]] == ["PENDING"] * 4
    assert harness.published("image.generating") == []

    harness.clock.advance(harness.generation.settings.IMAGE_STALL_TIMEOUT + 60)
    assert await harness.generation.sweeper.sweep() == 0  # paused is not stalled
    harness.clock.advance(-(harness.generation.settings.IMAGE_STALL_TIMEOUT + 60))

    resumed = await harness.client.delete(f"{QUEUE}/pause", headers=admin)
    assert resumed.json()["data"]["active"] is True

    async def all_ready():
        tasks = [await harness.task(t) for t in ids]
        return all(t["phase"] == "AWAITING_SELECTION" for t in tasks)

    await wait_for(all_ready, timeout=10)
    status = (await harness.client.get("/internal/queues", headers=as_user(
        "service:gateway", "service"))).json()["data"]
    (image,) = status
    assert image["name"] == "image_generation" and image["waiting"] == 0
    assert image["completed"] == 3 and image["running"] == 0

