"""The repository against a real MongoDB (runs where MONGODB_URL points at one)."""

import asyncio

import pytest

from generation.domain import task as tasks
from generation.domain.clock import utcnow_ms
from generation.repository import MongoTaskRepository

from ..conftest import awaiting_selection

pytestmark = pytest.mark.mongo


@pytest.fixture
async def repo(real_mongo):
    client, name = real_mongo
    repository = MongoTaskRepository(client[name]["tasks"])
    await repository.ensure_indexes()
    return repository


async def ready_task(repo):
    doc, event = awaiting_selection(utcnow_ms())
    await repo.insert(doc, event)
    return doc["_id"]


async def test_concurrent_selections_on_mongodb_yield_exactly_one_event(repo):
    task_id = await ready_task(repo)

    async def select(i):
        try:
            return await repo.mutate(task_id, tasks.select_image(i % 4), user_id="u1")
        except Exception as exc:
            return exc

    results = await asyncio.gather(*(select(i) for i in range(50)))
    winners = [r for r in results if not isinstance(r, Exception) and r.changed]
    assert len(winners) == 1
    raw = await repo.collection.find_one({"_id": task_id})
    assert [e["routing_key"] for e in raw["outbox"]] == ["task.created", "image.selected",
                                                         "task.status_changed"]


async def test_updated_at_strictly_increases_on_mongodb(repo):
    task_id = await ready_task(repo)
    markers = []
    for _ in range(5):
        result = await repo.mutate(task_id, lambda doc, now: tasks.Change({"errorMessage": None}))
        markers.append(result.doc["updatedAt"])
    assert markers == sorted(set(markers))


async def test_deleted_tasks_are_invisible_on_mongodb(repo):
    task_id = await ready_task(repo)
    await repo.mutate(task_id, tasks.mark_deleted)
    assert await repo.get(task_id) is None
    assert (await repo.list_for_user("u1", offset=0, limit=10))[1] == 0
    assert await repo.remove_deleted(task_id)
