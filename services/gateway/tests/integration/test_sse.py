import asyncio
import json

import httpx
import pytest
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from gateway.config import Settings
from lumi_shared import contracts as c
from lumi_shared.identity import optional_user
from lumi_shared.testing import serve_app, wait_for

BEARER = {"authorization": "Bearer good-token"}


def fake_generation() -> FastAPI:
    app = FastAPI()
    app.state.settings = Settings(LUMI_ENV="test")
    owners = {"t1": "u1", "t2": "a1"}

    @app.get("/api/tasks/{task_id}")
    async def task(task_id: str, request: Request):
        user = optional_user(request)
        if user is None or owners.get(task_id) != user.user_id:
            return JSONResponse({"status": "fail", "data": {"message": "Task not found",
                                                            "code": "NOT_FOUND"}}, 404)
        return {"status": "success", "data": {"id": task_id, "status": "IMAGE_PENDING"}}

    return app


async def read_frames(response: httpx.Response, count: int) -> list[tuple[str, str]]:
    frames: list[tuple[str, str]] = []
    name = None
    async for line in response.aiter_lines():
        if line.startswith(":"):
            frames.append(("comment", line[1:].strip()))
        elif line.startswith("event:"):
            name = line[6:].strip()
        elif line.startswith("data:"):
            frames.append((name, line[5:].strip()))
        if len(frames) >= count:
            return frames
    return frames


@pytest.fixture
async def sse_gateway(gateway_factory):
    async with serve_app(fake_generation()) as generation_url:
        yield gateway_factory(GENERATION_URL=generation_url, SSE_HEARTBEAT=0.3)


async def test_owner_gets_init_then_task_events_in_order(sse_gateway):
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
            for event in events:
                await bus.publish(event)
            frames = [f for f in await read_frames(response, 6) if f[0] != "comment"]
        assert frames[0][0] == "task:init" and json.loads(frames[0][1])["id"] == "t1"
        assert [json.loads(d)["index"] for n, d in frames[1:5]] == [0, 1, 2, 3]
        assert frames[5][0] == "task:updated"
        await wait_for(lambda: app.state.gateway.hub.count == 0)


async def test_heartbeat_comments_keep_the_stream_alive(sse_gateway):
    app, _ = sse_gateway
    async with serve_app(app) as url, httpx.AsyncClient(base_url=url, timeout=10) as client:
        async with client.stream("GET", "/api/tasks/t1/events", headers=BEARER) as response:
            frames = await read_frames(response, 3)
    assert ("comment", "keep-alive") in frames


async def test_another_users_task_is_a_404_and_anonymous_is_401(sse_gateway):
    app, _ = sse_gateway
    async with serve_app(app) as url, httpx.AsyncClient(base_url=url, timeout=10) as client:
        other = await client.get("/api/tasks/t2/events", headers=BEARER)
        assert other.status_code == 404 and other.json()["data"]["code"] == "NOT_FOUND"
        assert (await client.get("/api/tasks/t1/events")).status_code == 401
        assert app.state.gateway.hub.count == 0


async def test_deleting_the_task_ends_the_stream(sse_gateway):
    app, bus = sse_gateway
    async with serve_app(app) as url, httpx.AsyncClient(base_url=url, timeout=10) as client:
        async with client.stream("GET", "/api/tasks/t1/events", headers=BEARER) as response:
            await wait_for(lambda: app.state.gateway.hub.count == 1)
            await bus.publish(c.TaskDeleted(task_id="t1", user_id="u1"))
            frames = await asyncio.wait_for(read_frames(response, 100), 5)
        assert [n for n, _ in frames if n != "comment"] == ["task:init", "task:deleted"]
