"""Job queue settings: validated changes, persisted with their event, applied on every replica
(each replica = one QueueControl on the shared broker), kept across a restart; admin routes."""

import asyncio

import pytest
from fastapi import FastAPI

from lumi_shared import queues, queues_api
from lumi_shared.contracts import QueueConfigChanged
from lumi_shared.http import install_error_handlers
from lumi_shared.messaging import OutboxRelay
from lumi_shared.settings import BaseServiceSettings
from lumi_shared.testing import as_user, running, wait_for

DEFAULTS = queues.QueueConfig(concurrency=2, timeout=60, retries=2)


def replica(mongo, bus, name="model_generation"):
    collection = mongo["lumi_test"][queues.COLLECTION]
    relay = OutboxRelay(bus, [collection], interval=0.05)
    control = queues.QueueControl(name, "modeling", DEFAULTS, collection, on_outbox=relay.kick,
                                  refresh=60)
    start, stop = queues.lifecycle(bus, "modeling", [control])
    return control, relay, start, stop


async def test_a_change_reaches_every_replica_and_survives_a_restart(mongo, bus, recorder):
    (a, relay, start_a, stop_a), (b, _, start_b, stop_b) = replica(mongo, bus), replica(mongo, bus)
    await start_a()
    await start_b()
    relay.start()
    woken = []
    b.on_change(lambda: woken.append(b.config))
    view = await a.update({"active": False, "concurrency": 5}, "admin-1")
    assert (view.active, view.concurrency, view.version, view.updatedBy) == (False, 5, 1, "admin-1")
    event = await recorder.wait(QueueConfigChanged, queue="model_generation")
    assert (event.active, event.concurrency, event.actor_id) == (False, 5, "admin-1")
    await wait_for(lambda: b.version == 1)
    assert b.config.active is False and b.config.concurrency == 5 and woken

    waiter = asyncio.create_task(b.wait_active())
    await asyncio.sleep(0.05)
    assert not waiter.done()  # paused
    await a.update({"active": True}, "admin-1")
    await asyncio.wait_for(waiter, 2)

    unchanged = await a.update({"active": True}, "admin-1")
    assert unchanged.version == 2  # nothing changed: no new version, no event
    await relay.stop()
    await stop_a()
    await stop_b()

    restarted, _, start, stop = replica(mongo, bus)
    assert restarted.config == DEFAULTS
    await start()
    assert restarted.config.concurrency == 5 and restarted.active and restarted.version == 2
    await stop()


@pytest.fixture
async def admin_app(mongo, bus):
    control, relay, start, stop = replica(mongo, bus)
    app = FastAPI()
    app.state.settings = BaseServiceSettings(LUMI_ENV="test")
    install_error_handlers(app)
    app.include_router(queues_api.router)
    app.state.queues = {control.name: control}
    await start()
    async with running(app) as client:
        yield client
    await stop()


async def test_admin_routes_need_the_admin_role_and_take_only_known_fields(admin_app):
    url = "/api/admin/queues/model_generation"
    admin, user = as_user("a1", "admin"), as_user("u1")
    assert (await admin_app.get(url)).status_code == 401
    assert (await admin_app.patch(url, json={"concurrency": 3}, headers=user)).status_code == 403
    assert (await admin_app.post(f"{url}/pause", headers=user)).status_code == 403
    for body in ({"concurrency": 0}, {"concurrency": "3"}, {"retries": 99}, {"timeout": -1},
                 {"isActive": False}, {"maxConcurrency": 3}, {}):
        answer = await admin_app.patch(url, json=body, headers=admin)
        assert answer.status_code == 400, body
        assert answer.json()["data"]["code"] == "VALIDATION_ERROR"
    changed = await admin_app.patch(url, json={"concurrency": 3, "timeout": 30.5}, headers=admin)
    assert changed.status_code == 200
    assert changed.json()["data"] | {"updatedAt": None} == {
        "name": "model_generation", "service": "modeling", "concurrency": 3, "timeout": 30.5,
        "retries": 2, "active": True, "version": 1, "updatedAt": None, "updatedBy": "a1"}
    paused = await admin_app.post(f"{url}/pause", headers=admin)
    assert paused.json()["data"]["active"] is False
    assert (await admin_app.get(url, headers=admin)).json()["data"]["active"] is False
    assert (await admin_app.delete(f"{url}/pause", headers=admin)).json()["data"]["active"] is True
    assert (await admin_app.get("/api/admin/queues/nope", headers=admin)).status_code == 404


async def test_slots_follow_the_live_concurrency_and_pause(mongo, bus):
    control, _, start, stop = replica(mongo, bus)
    await start()
    peak, running = [0], [0]

    async def job():
        async with control.slot():
            running[0] += 1
            peak[0] = max(peak[0], running[0])
            await asyncio.sleep(0.02)
            running[0] -= 1

    await asyncio.gather(*(job() for _ in range(6)))
    assert peak[0] == 2
    await control.update({"concurrency": 3, "active": False}, "a1")
    jobs = [asyncio.create_task(job()) for _ in range(6)]
    await asyncio.sleep(0.1)
    assert peak[0] == 2 and control.in_flight == 0  # paused: nothing started
    await control.update({"active": True}, "a1")
    await asyncio.gather(*jobs)
    assert peak[0] == 3 and control.in_flight == 0
    await stop()
