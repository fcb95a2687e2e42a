"""The compare-and-set of the repository under real interleaving: the in-process store never
yields inside an operation, so this wrapper yields around each one, like a network round trip."""

import asyncio

from generation.domain import images as jobs
from generation.domain import task as tasks
from generation.domain.clock import utcnow_ms
from generation.repository import MongoTaskRepository
from lumi_shared.docstore import InMemoryClient
from lumi_shared.errors import Conflict, InvalidState

from ..conftest import awaiting_selection


class Yielding:
    def __init__(self, collection):
        self.collection = collection

    def __getattr__(self, name):
        target = getattr(self.collection, name)
        if name == "find" or not asyncio.iscoroutinefunction(target):
            return target

        async def call(*args, **kwargs):
            await asyncio.sleep(0)
            result = await target(*args, **kwargs)
            await asyncio.sleep(0)
            return result

        return call


def repository():
    return MongoTaskRepository(Yielding(InMemoryClient()["db"]["tasks"]))


async def ready_task(repo):
    doc, event = awaiting_selection(utcnow_ms(), "p")
    await repo.insert(doc, event)
    return doc["_id"]


async def test_interleaved_selections_have_exactly_one_winner():
    repo = repository()
    task_id = await ready_task(repo)

    async def select(i):
        try:
            return await repo.mutate(task_id, tasks.select_image(i % 4), user_id="u1")
        except (Conflict, InvalidState) as exc:
            return exc

    results = await asyncio.gather(*(select(i) for i in range(50)))
    assert sum(1 for r in results if not isinstance(r, Exception)) == 1
    raw = await repo.collection.find_one({"_id": task_id})
    assert raw["rev"] == 1
    assert [e["routing_key"] for e in raw["outbox"]] == ["task.created", "image.selected",
                                                         "task.status_changed"]


async def test_interleaved_image_completions_are_all_kept_and_settle_once():
    repo = repository()
    doc, _ = tasks.new_task("u1", "p", utcnow_ms())
    await repo.insert(doc)
    from datetime import timedelta

    for i in range(4):
        await repo.mutate(doc["_id"], jobs.claim(i, f"t{i}", timedelta(minutes=5)))
    await asyncio.gather(*(repo.mutate(doc["_id"], jobs.complete(i, f"t{i}", f"http://x/{i}"))
                           for i in range(4)))
    raw = await repo.collection.find_one({"_id": doc["_id"]})
    assert [img["imageUrl"] for img in raw["images"]] == [f"http://x/{i}" for i in range(4)]
    assert raw["status"] == "IMAGE_COMPLETED"
    keys = [e["routing_key"] for e in raw["outbox"]]
    assert keys.count("task.images_ready") == 1 and keys.count("image.completed") == 4
