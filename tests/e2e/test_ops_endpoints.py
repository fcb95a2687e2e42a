"""Operator endpoints through the gateway: `/api/workers/status` in both old shapes from live
figures, and dead letters: a model request that failed every delivery is listed (count,
oldest, reason, sample) and, once replayed, completes the task. Embedded broker and RabbitMQ."""

import httpx
import pytest

from lumi_embedded.harness import (
    FAST,
    FINAL,
    FlakyCollections,
    login,
    purge_rabbit_queues,
    task_when,
    task_with_images,
)
from lumi_embedded.system import running_system
from lumi_shared.docstore import InMemoryClient
from lumi_shared.testing import wait_for

pytestmark = pytest.mark.e2e
ADMIN = "ops-admin@example.com"
QUEUE = "modeling.image.selected"


def setup(failures: int):
    """`failures`: deliveries until dead-lettered (the in-process broker makes 5 attempts; a
    quorum queue with x-delivery-limit 5 delivers 6 times)."""
    flaky = FlakyCollections(InMemoryClient(), "models", failures=failures)
    # The injected failure is a lost database connection, which a consumer holds and retries
    # for EVENT_TRANSIENT_RETRY before it counts as a failed delivery: short here.
    overrides = {**FAST, "auth": {"ADMIN_EMAILS": ADMIN},
                 "modeling": {**FAST["modeling"], "EVENT_TRANSIENT_RETRY": 0.2}}
    return flaky, overrides, (lambda service: flaky if service == "modeling" else InMemoryClient())


async def workers_status_is_live(client, admin, me, task_id) -> None:
    anon = await client.get("/api/workers/status")
    assert anon.status_code == 200
    data = anon.json()["data"]
    assert data["image"]["config"]["maxConcurrency"] == 4 and data["image"]["isRunning"] is True
    assert data["model3d"]["config"] | {"jobTimeout": 0} == {
        "maxConcurrency": 2, "jobTimeout": 0, "maxRetries": 2, "retryDelayBase": 5000,
        "retryDelayMax": 60000, "enablePriority": False, "isActive": True}
    assert data["model3d"]["processingJobIds"] == [] and data["unavailable"] == []
    fy = {w["queueName"]: w for w in data["workers"]}
    assert set(fy) == {"image-generation", "model-generation", "slicing"}
    assert fy["image-generation"]["stats"]["completed"] >= 1  # the task's images
    assert fy["model-generation"] | {"stats": None} == {
        "name": "Model Generation Worker", "status": "running", "queueName": "model-generation",
        "concurrency": 2, "stats": None}
    queues = {q["name"]: q for q in data["queues"]}
    assert queues["model_generation"]["consumers"] >= 1

    await client.patch("/api/admin/queues/model_generation", json={"concurrency": 3}, headers=admin)
    await client.post("/api/admin/queues/model_generation/pause", headers=admin)
    paused = (await client.get("/api/workers/status", headers=me)).json()["data"]
    assert paused["model3d"]["isRunning"] is False
    assert paused["model3d"]["config"]["maxConcurrency"] == 3
    assert {w["queueName"]: w["status"] for w in paused["workers"]}["model-generation"] == "stopped"
    await client.delete("/api/admin/queues/model_generation/pause", headers=admin)


async def dead_letter_then_replay(system, flaky) -> None:
    async with httpx.AsyncClient(base_url=system.url, timeout=10) as client:
        admin = await login(client, system.data_dir, ADMIN)
        me = await login(client, system.data_dir, "ops-user@example.com")
        task_id = await task_with_images(client, me, "a parked lighthouse")
        await workers_status_is_live(client, admin, me, task_id)

        flaky.armed = True  # every delivery of the selection fails: it ends dead-lettered
        assert (await client.patch(f"/api/tasks/{task_id}", json={"selectedImageIndex": 1},
                                   headers=me)).status_code == 200

        async def parked():
            answer = await client.get("/api/admin/dead-letters", headers=admin)
            found = {q["queue"]: q for q in answer.json()["data"]}
            return found.get(QUEUE)

        entry = await wait_for(parked, timeout=30, interval=0.2)
        assert flaky.injected == flaky.failures
        assert entry["count"] == 1 and entry["service"] == "modeling" and entry["oldest"]
        assert sum(entry["reasons"].values()) == 1
        (sample,) = entry["sample"]
        assert sample["routingKey"] == "image.selected" and sample["body"]["task_id"] == task_id
        assert sample["eventId"] == sample["body"]["event_id"]

        assert (await client.get("/api/admin/dead-letters")).status_code == 401
        assert (await client.get("/api/admin/dead-letters", headers=me)).status_code == 403
        assert (await client.post(f"/api/admin/dead-letters/{QUEUE}/replay",
                                  headers=me)).status_code == 403
        missing = await client.post("/api/admin/dead-letters/nosuch.queue/replay", headers=admin)
        assert missing.status_code == 404

        replayed = await client.post(f"/api/admin/dead-letters/{QUEUE}/replay?limit=5",
                                     headers=admin)
        assert replayed.status_code == 200, replayed.text
        assert replayed.json()["data"] == {"queue": QUEUE, "replayed": 1}
        done = await task_when(client, task_id, me, lambda t: t["status"] in FINAL, timeout=60)
        assert done["status"] == "COMPLETED"
        assert await parked() is None


async def test_workers_status_and_dead_letters_embedded(tmp_path):
    flaky, overrides, mongo_for = setup(failures=5)
    async with running_system(tmp_path, overrides=overrides, mongo_for=mongo_for) as system:
        await dead_letter_then_replay(system, flaky)


@pytest.mark.rabbit
async def test_workers_status_and_dead_letters_rabbitmq(rabbit_url, tmp_path):
    flaky, overrides, mongo_for = setup(failures=6)
    async with running_system(tmp_path, rabbit_url=rabbit_url, overrides=overrides,
                              mongo_for=mongo_for) as system:
        await purge_rabbit_queues(system, rabbit_url)
        await dead_letter_then_replay(system, flaky)
