"""The image worker writes a task one change at a time: its four images do not race each other
for the document's `rev` (each lost race costs a re-read and a retried write)."""

import asyncio

from lumi_shared.testing import wait_for


async def test_the_worker_never_writes_one_task_twice_at_once(harness):
    repo = harness.generation.worker.repo
    original = repo.mutate
    in_flight: dict[str, int] = {}
    most = [0]

    async def watched(task_id, transition, **kwargs):
        in_flight[task_id] = in_flight.get(task_id, 0) + 1
        most[0] = max(most[0], in_flight[task_id])
        try:
            await asyncio.sleep(0.01)  # a database round trip: the other images are ready too
            return await original(task_id, transition, **kwargs)
        finally:
            in_flight[task_id] -= 1

    repo.mutate = watched
    task_id = (await harness.create("four images at once"))["id"]

    async def ready():
        return (await harness.task(task_id))["phase"] == "AWAITING_SELECTION"

    await wait_for(ready, timeout=10)
    assert most[0] == 1
