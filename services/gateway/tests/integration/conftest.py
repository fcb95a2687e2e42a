"""What an EventSource client reads from the gateway (`read_frames`: frames with their `id`,
`event`, `data` JSON-decoded and comment), and a stand-in generation service that owns the
tasks (`fake_generation`). Fixtures, as test modules here are not a package."""

import json
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from gateway.config import Settings
from lumi_shared.identity import optional_user


@dataclass
class Frame:
    event: str | None
    data: Any
    id: str | None
    comment: str | None = None


def _fake_generation(owners: dict[str, str] | None = None) -> FastAPI:
    """`GET /api/tasks/{id}` for the owner of the task (404 for anyone else), like generation."""
    app = FastAPI()
    app.state.settings = Settings(LUMI_ENV="test")
    owners = owners if owners is not None else {"t1": "u1", "t2": "a1"}

    @app.get("/api/tasks/{task_id}")
    async def task(task_id: str, request: Request):
        user = optional_user(request)
        if user is None or owners.get(task_id) != user.user_id:
            return JSONResponse({"status": "fail", "data": {"message": "Task not found",
                                                            "code": "NOT_FOUND"}}, 404)
        return {"status": "success", "data": {"id": task_id, "status": "IMAGE_GENERATING",
                                              "phase": "IMAGE_GENERATION"}}

    return app


async def _read_frames(response: httpx.Response, count: int, *,
                      heartbeats: bool = False) -> list[Frame]:
    """Up to `count` frames (heartbeats skipped unless asked for), or fewer if the stream ends."""
    frames: list[Frame] = []
    fields: dict[str, str] = {}
    if not hasattr(response, "sse_lines"):  # one line iterator per response: read on later
        response.sse_lines = response.aiter_lines()
    async for line in response.sse_lines:
        if line:
            key, _, value = line.partition(":")
            fields[key or "comment"] = value.strip()
            continue
        if not fields:
            continue
        frame = Frame(fields.get("event"), json.loads(fields["data"]) if "data" in fields else None,
                      fields.get("id"), fields.get("comment"))
        fields = {}
        if frame.event == "heartbeat" and not heartbeats:
            continue
        frames.append(frame)
        if len(frames) >= count:
            break
    return frames


@pytest.fixture
def fake_generation():
    return _fake_generation


@pytest.fixture
def read_frames():
    return _read_frames
