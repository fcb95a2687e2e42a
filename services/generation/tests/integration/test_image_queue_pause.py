"""A paused image_generation queue: new tasks keep their images PENDING (the event is handled,
nothing is held), the sweeper does not count them as stalled, and resuming runs them all."""

import asyncio
import contextlib

from generation.sweeper import BUSY_STALL_FACTOR
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



async def test_a_task_queued_behind_a_busy_worker_is_not_stalled(harness):
    """Images that wait for a slot while the worker runs others are queued, not stalled: the
    sweeper neither re-runs nor fails them; once the slots are free they run."""
    queue = harness.generation.worker.queue
    held = contextlib.AsyncExitStack()
    for _ in range(queue.config.concurrency):  # every slot busy, as under a long backlog
        await held.enter_async_context(queue.slot())
    task_id = (await harness.create("a queued dragon"))["id"]
    await asyncio.sleep(0.2)  # its TaskCreated is being handled: the images wait for a slot
    harness.clock.advance(harness.generation.settings.IMAGE_STALL_TIMEOUT + 60)
    for _ in range(harness.generation.settings.SWEEP_RECOVERIES + 1):
        assert await harness.generation.sweeper.sweep() == 0  # busy is not stalled
    await asyncio.sleep(0.2)  # the outbox relay would have published a retry by now
    assert harness.published("task.images_retried", task_id) == []
    await held.aclose()

    async def ready():
        return (await harness.task(task_id))["phase"] == "AWAITING_SELECTION"

    await wait_for(ready, timeout=10)


async def test_a_task_stalled_behind_a_worker_that_never_idles_still_ends(harness):
    """Under endless traffic the worker is never idle: a task whose images never start is
    still recovered once it has waited BUSY_STALL_FACTOR times the stall timeout."""
    queue = harness.generation.worker.queue
    held = contextlib.AsyncExitStack()
    for _ in range(queue.config.concurrency):
        await held.enter_async_context(queue.slot())
    task_id = (await harness.create("a forgotten dragon"))["id"]
    await asyncio.sleep(0.2)
    harness.clock.advance(harness.generation.settings.IMAGE_STALL_TIMEOUT * BUSY_STALL_FACTOR + 60)
    assert await harness.generation.sweeper.sweep() == 1
    await wait_for(lambda: harness.published("task.images_retried", task_id), timeout=10)
    await held.aclose()
