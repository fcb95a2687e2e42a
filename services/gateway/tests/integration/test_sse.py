"""`GET /api/tasks/{id}/events` as an EventSource client reads it: ids, the old API's frames,
`status` and `heartbeat` frames, the per-user cap and the end of a deleted task's stream."""

import asyncio
from contextlib import AsyncExitStack
from datetime import datetime

import httpx
import pytest

from gateway.config import Settings
from gateway.main import create_app
from lumi_shared import contracts as c
from lumi_shared.docstore import InMemoryClient
from lumi_shared.testing import serve_app, wait_for

BEARER = {"authorization": "Bearer good-token"}



@pytest.fixture
async def sse_gateway(gateway_factory, fake_generation):
    async with serve_app(fake_generation()) as generation_url:
        yield gateway_factory(GENERATION_URL=generation_url, SSE_HEARTBEAT=0.3)


async def test_init_and_status_first_then_task_frames_in_order_each_with_an_id(sse_gateway, read_frames):
    app, bus = sse_gateway
    async with serve_app(app) as url, httpx.AsyncClient(base_url=url, timeout=10) as client:
        async with client.stream("GET", "/api/tasks/t1/events", headers=BEARER) as response:
            assert response.status_code == 200
            assert response.headers["content-type"].startswith("text/event-stream")
            assert response.headers["x-accel-buffering"] == "no"
            await wait_for(lambda: app.state.gateway.hub.count == 1)
            events = [c.ImageGenerating(task_id="t1", user_id="u1", image_id=f"i{i}", index=i)
                      for i in range(4)]
            events.append(c.ImageGenerating(task_id="t2", user_id="a1", image_id="x", index=0))
            events.append(c.TaskImagesReady(task_id="t1", user_id="u1"))
            events.append(c.TaskStatusChanged(task_id="t1", user_id="u1", status="IMAGE_COMPLETED",
                                              phase="AWAITING_SELECTION"))
            for event in events:
                await bus.publish(event)
            frames = await read_frames(response, 8)
        assert [f.event for f in frames] == ["task:init", "status", *["image:generating"] * 4,
                                             "task:updated", "status"]
        assert frames[0].data["id"] == "t1"
        assert frames[1].data == {"phase": "IMAGE_GENERATION", "status": "IMAGE_GENERATING"}
        assert [f.data["index"] for f in frames[2:6]] == [0, 1, 2, 3]
        assert frames[2].data == {"imageId": "i0", "index": 0}
        assert frames[6].data == {"requestId": "t1", "status": "IMAGE_COMPLETED",
                                  "phase": "AWAITING_SELECTION"}
        assert frames[7].data == {"phase": "AWAITING_SELECTION", "status": "IMAGE_COMPLETED"}
        ids = [f.id for f in frames]
        assert all(ids) and ids[0] == ids[1] == "0"  # nothing happened to the task before
        epoch = ids[2].rsplit("-", 1)[0]
        assert ids[2:] == [f"{epoch}-{n}" for n in range(1, 7)]
        await wait_for(lambda: app.state.gateway.hub.count == 0)


async def test_heartbeat_frames_carry_a_timestamp_and_the_last_id(sse_gateway, read_frames):
    app, bus = sse_gateway
    async with serve_app(app) as url, httpx.AsyncClient(base_url=url, timeout=10) as client:
        async with client.stream("GET", "/api/tasks/t1/events", headers=BEARER) as response:
            await wait_for(lambda: app.state.gateway.hub.count == 1)
            await bus.publish(c.ImageGenerating(task_id="t1", user_id="u1", image_id="i", index=0))
            frames = await read_frames(response, 5, heartbeats=True)
    beats = [f for f in frames if f.event == "heartbeat"]
    assert len(beats) >= 2 and all(f.comment == "keep-alive" for f in beats)
    assert datetime.fromisoformat(beats[-1].data["timestamp"]).tzinfo is not None
    generating = next(f for f in frames if f.event == "image:generating")
    assert beats[-1].id == generating.id


async def test_another_users_task_is_a_404_and_anonymous_is_401(sse_gateway):
    app, _ = sse_gateway
    async with serve_app(app) as url, httpx.AsyncClient(base_url=url, timeout=10) as client:
        other = await client.get("/api/tasks/t2/events", headers=BEARER)
        assert other.status_code == 404 and other.json()["data"]["code"] == "NOT_FOUND"
        assert (await client.get("/api/tasks/t1/events")).status_code == 401
        assert app.state.gateway.hub.count == 0


async def test_a_users_open_streams_are_capped_with_a_429_across_replicas(
        upstream_urls, tmp_path, fake_generation):
    store = InMemoryClient()  # the gateways' shared database

    def replica(generation_url):
        return create_app(Settings(LUMI_ENV="test", LUMI_DATA_DIR=tmp_path,
                                   SSE_MAX_STREAMS_PER_USER=2,
                                   **{**upstream_urls, "GENERATION_URL": generation_url}),
                          mongo=store)

    async with serve_app(fake_generation()) as generation_url, AsyncExitStack() as stack:
        clients = []
        for app in (replica(generation_url), replica(generation_url)):
            url = await stack.enter_async_context(serve_app(app))
            clients.append(await stack.enter_async_context(httpx.AsyncClient(base_url=url,
                                                                               timeout=10)))
        one, two = clients
        async with one.stream("GET", "/api/tasks/t1/events", headers=BEARER) as first:
            assert first.status_code == 200
            async with two.stream("GET", "/api/tasks/t1/events", headers=BEARER) as second:
                assert second.status_code == 200
                third = await one.get("/api/tasks/t1/events", headers=BEARER)
                assert third.status_code == 429 and third.headers["retry-after"]
                body = third.json()
                assert body["status"] == "fail" and body["data"]["code"] == "RATE_LIMITED"
                assert "2 open event streams" in body["data"]["message"]
                async with two.stream("GET", "/api/tasks/t2/events", headers={
                        "authorization": "Bearer admin-token"}) as admin:
                    assert admin.status_code == 200  # another user's cap is their own
            leases = store["lumi_gateway"]["sse_streams"]

            async def one_left() -> bool:  # the closed stream's lease is released at once
                return await leases.count_documents({"user": "u1"}) == 1

            await wait_for(one_left, 5)
            async with one.stream("GET", "/api/tasks/t1/events", headers=BEARER) as again:
                assert again.status_code == 200


async def test_a_deleted_tasks_stream_ends_with_a_final_frame(sse_gateway, read_frames):
    app, bus = sse_gateway
    async with serve_app(app) as url, httpx.AsyncClient(base_url=url, timeout=10) as client:
        async with client.stream("GET", "/api/tasks/t1/events", headers=BEARER) as response:
            await wait_for(lambda: app.state.gateway.hub.count == 1)
            await bus.publish(c.TaskDeleted(task_id="t1", user_id="u1"))
            frames = await asyncio.wait_for(read_frames(response, 100), 5)
        assert [f.event for f in frames] == ["task:init", "status", "task:deleted"]
        assert frames[-1].data == {"requestId": "t1"} and frames[-1].id
        await wait_for(lambda: app.state.gateway.hub.count == 0)


async def test_an_unreachable_history_is_a_clear_503(sse_gateway, monkeypatch):
    from pymongo.errors import AutoReconnect

    app, _ = sse_gateway

    async def down(*_args, **_kw):
        raise AutoReconnect("connection refused")

    monkeypatch.setattr(app.state.gateway.history, "load", down)
    async with serve_app(app) as url, httpx.AsyncClient(base_url=url, timeout=10) as client:
        response = await client.get("/api/tasks/t1/events", headers=BEARER)
        assert response.status_code == 503
        body = response.json()
        assert body["status"] == "error" and body["code"] == "SERVICE_UNAVAILABLE"
        assert app.state.gateway.hub.count == 0
