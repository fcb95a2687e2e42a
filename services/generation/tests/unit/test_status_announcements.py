"""Every change of a task's status or phase is announced once, in the same write."""

from datetime import timedelta

from generation.domain import images as jobs
from generation.domain import task as tasks
from generation.domain.clock import utcnow_ms
from generation.repository import MongoTaskRepository
from lumi_shared.contracts import TaskStatusChanged
from lumi_shared.docstore import InMemoryClient


async def test_each_status_change_is_announced_after_the_events_of_its_change():
    repo = MongoTaskRepository(InMemoryClient()["lumi_generation"]["tasks"])
    doc, created = tasks.new_task("u1", "a cat", utcnow_ms())
    await repo.insert(doc, created)
    for i in range(4):
        await repo.mutate(doc["_id"], jobs.claim(i, f"t{i}", timedelta(minutes=5)))
    for i in range(4):
        await repo.mutate(doc["_id"], jobs.complete(i, f"t{i}", f"http://x/{i}.png"))
    await repo.mutate(doc["_id"], tasks.select_image(2), user_id="u1")
    raw = await repo.collection.find_one({"_id": doc["_id"]})
    announced = [(e["routing_key"], e["body"].get("status"), e["body"].get("phase"))
                 for e in raw["outbox"] if e["routing_key"] == TaskStatusChanged.routing_key]
    assert announced == [
        ("task.status_changed", "IMAGE_GENERATING", "IMAGE_GENERATION"),
        ("task.status_changed", "IMAGE_COMPLETED", "AWAITING_SELECTION"),
        ("task.status_changed", "MODEL_PENDING", "MODEL_GENERATION")]
    keys = [e["routing_key"] for e in raw["outbox"]]
    assert keys[keys.index("task.images_ready") + 1] == "task.status_changed"
    assert keys[-2:] == ["image.selected", "task.status_changed"]
    assert all(e["body"]["user_id"] == "u1" for e in raw["outbox"])
