"""Resuming a task's event stream with `Last-Event-ID`, in the embedded runtime's plumbing
(in-process broker and document store shared by the gateway instances): the missed frames
exactly once and in order, also from a new gateway instance; beyond the history a fresh
snapshot."""

from contextlib import asynccontextmanager

import httpx
import pytest

from gateway.config import Settings
from gateway.main import create_app
from lumi_shared import contracts as c
from lumi_shared.docstore import InMemoryClient
from lumi_shared.messaging import InMemoryBus
from lumi_shared.testing import serve_app, wait_for

BEARER = {"authorization": "Bearer good-token"}



def generating(index: int) -> c.ImageGenerating:
    return c.ImageGenerating(task_id="t1", user_id="u1", image_id=f"i{index}", index=index)


@pytest.fixture
async def shared(upstream_urls, tmp_path, fake_generation):
    """One store and one broker that outlive gateway instances, like the embedded runtime's."""
    bus = InMemoryBus()
    await bus.start()
    store = InMemoryClient()
    async with serve_app(fake_generation()) as generation_url:
        urls = {**upstream_urls, "GENERATION_URL": generation_url}

        @asynccontextmanager
        async def gateway(**overrides):
            app = create_app(Settings(LUMI_ENV="test", LUMI_DATA_DIR=tmp_path, **urls,
                                      **overrides), mongo=store, bus=bus)
            async with serve_app(app) as url, httpx.AsyncClient(base_url=url, timeout=10) as client:
                yield app, client

        yield gateway, bus
    await bus.stop()


async def test_a_client_resumes_on_a_new_gateway_instance_with_every_missed_frame_once(shared, read_frames):
    gateway, bus = shared
    async with gateway() as (app, client):
        async with client.stream("GET", "/api/tasks/t1/events", headers=BEARER) as response:
            await wait_for(lambda: app.state.gateway.hub.count == 1)
            for i in range(2):
                await bus.publish(generating(i))
            first = await read_frames(response, 4)
        assert [f.event for f in first] == ["task:init", "status", "image:generating",
                                            "image:generating"]
        last_id = first[-1].id
        await bus.publish(generating(2))  # missed while disconnected, this instance records it
        await bus.drain()
    async with gateway() as (app, client):  # a restarted gateway
        await bus.publish(c.TaskStatusChanged(task_id="t1", user_id="u1",
                                              status="IMAGE_COMPLETED", phase="AWAITING_SELECTION"))
        await bus.publish(c.TaskImagesReady(task_id="t1", user_id="u1"))
        await bus.drain()
        headers = {**BEARER, "last-event-id": last_id}
        async with client.stream("GET", "/api/tasks/t1/events", headers=headers) as response:
            assert response.status_code == 200
            missed = await read_frames(response, 3)
            await bus.publish(generating(3))
            live = await read_frames(response, 1)
    assert [(f.event, f.data) for f in missed] == [
        ("image:generating", {"imageId": "i2", "index": 2}),
        ("status", {"phase": "AWAITING_SELECTION", "status": "IMAGE_COMPLETED"}),
        ("task:updated", {"requestId": "t1", "status": "IMAGE_COMPLETED",
                          "phase": "AWAITING_SELECTION"})]
    epoch, seq = last_id.rsplit("-", 1)
    assert [f.id for f in missed + live] == [f"{epoch}-{int(seq) + n}" for n in range(1, 5)]
    assert live[0].event == "image:generating" and live[0].data["index"] == 3


async def test_an_unknown_or_too_old_id_gets_a_fresh_snapshot(shared, read_frames):
    gateway, bus = shared
    async with gateway(SSE_HISTORY_FRAMES=3) as (app, client):
        async with client.stream("GET", "/api/tasks/t1/events", headers=BEARER) as response:
            await wait_for(lambda: app.state.gateway.hub.count == 1)
            await bus.publish(generating(0))
            last_id = (await read_frames(response, 3))[-1].id
        for i in range(1, 5):  # 4 frames missed, the history keeps 3
            await bus.publish(generating(i))
        await bus.drain()
        for stale in (last_id, "abc123-7", "not an id"):
            headers = {**BEARER, "last-event-id": stale}
            async with client.stream("GET", "/api/tasks/t1/events", headers=headers) as response:
                frames = await read_frames(response, 2)
            assert [f.event for f in frames] == ["task:init", "status"]
            epoch = last_id.rsplit("-", 1)[0]
            assert frames[0].id == f"{epoch}-5"  # the snapshot's place: after every frame so far
