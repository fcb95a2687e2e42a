"""Pausing `model_generation` through the gateway's admin API: with model jobs waiting, none
starts until the queue is resumed, then all finish; the change reaches the modeling service
through its QueueConfigChanged event and is audited. Embedded broker and RabbitMQ."""

import asyncio

import httpx
import pytest

from lumi_embedded.harness import FAST, FINAL, login, purge_rabbit_queues, task_when, task_with_images
from lumi_embedded.system import running_system

pytestmark = pytest.mark.e2e
ADMIN = "ops-admin@example.com"
QUEUE = "/api/admin/queues/model_generation"


def overrides() -> dict:
    return {**FAST, "auth": {"ADMIN_EMAILS": ADMIN}}


async def pause_hold_resume(system, tasks: int = 3) -> None:
    async with httpx.AsyncClient(base_url=system.url, timeout=10) as client:
        admin = await login(client, system.data_dir, ADMIN)
        me = await login(client, system.data_dir, "waiting@example.com")
        for name, service in (("image_generation", "generation"), ("slicing", "printing")):
            view = await client.get(f"/api/admin/queues/{name}", headers=admin)
            assert view.status_code == 200, view.text
            assert (view.json()["data"]["name"], view.json()["data"]["service"]) == (name, service)
        assert (await client.post(f"{QUEUE}/pause")).status_code == 401
        assert (await client.post(f"{QUEUE}/pause", headers=me)).status_code == 403
        paused = await client.post(f"{QUEUE}/pause", headers=admin)
        assert paused.status_code == 200, paused.text
        assert paused.json()["data"]["active"] is False
        assert paused.json()["data"]["updatedBy"]

        ids = [await task_with_images(client, me, f"a paused robot {i}") for i in range(tasks)]
        for task_id in ids:
            selected = await client.patch(f"/api/tasks/{task_id}", json={"selectedImageIndex": 0},
                                          headers=me)
            assert selected.status_code == 200, selected.text

        await asyncio.sleep(1.5)  # several worker polls (0.2 s): nothing may start
        for task_id in ids:
            task = (await client.get(f"/api/tasks/{task_id}", headers=me)).json()["data"]
            assert task["status"] == "MODEL_PENDING", task["status"]

        resumed = await client.delete(f"{QUEUE}/pause", headers=admin)
        assert resumed.status_code == 200 and resumed.json()["data"]["active"] is True
        for task_id in ids:
            done = await task_when(client, task_id, me, lambda t: t["status"] in FINAL, timeout=60)
            assert done["status"] == "COMPLETED"
        view = (await client.get(QUEUE, headers=admin)).json()["data"]
        assert view["active"] is True and view["version"] == 2


async def test_paused_model_generation_starts_nothing_until_resumed_embedded(tmp_path):
    async with running_system(tmp_path, overrides=overrides()) as system:
        await pause_hold_resume(system)


@pytest.mark.rabbit
async def test_paused_model_generation_starts_nothing_until_resumed_rabbitmq(rabbit_url, tmp_path):
    async with running_system(tmp_path, rabbit_url=rabbit_url, overrides=overrides()) as system:
        await purge_rabbit_queues(system, rabbit_url)
        await pause_hold_resume(system)
