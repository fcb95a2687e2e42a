"""The image worker writes a task from the document its previous write returned: one read of
the task for all of its image writes (each write was a read and a write; on the loaded fault
suite's database the reads were half of a task's round trips in the image phase)."""


async def test_one_task_s_image_writes_read_the_task_once(harness):
    store = harness.generation.worker.repo.store
    original = store.find_one
    reads: list[dict] = []

    async def counted(query):
        reads.append(query)
        return await original(query)

    store.find_one = counted
    task_id = (await harness.create("four images, one read"))["id"]
    await harness.settle()
    store.find_one = original
    task = await harness.task(task_id)
    assert task["phase"] == "AWAITING_SELECTION"
    # prompts, four claims, four completions: ten reads before, the worker's first one now
    assert len([q for q in reads if q.get("_id") == task_id]) == 1
