"""Live task progress over SSE (`GET /api/tasks/{id}/events`) with the old API's event names
(each event contract's `sse()` gives its frame: a new event needs no change here).

A fresh stream starts with `task:init` (the task's snapshot) and `status` (`{phase, status}`);
then every frame of the task, each with an `id:`. A client that reconnects with
`Last-Event-ID` gets the frames it missed instead, when the history still has them all
(`hub`, `history`). `heartbeat` (`{timestamp}`, with the `:keep-alive` comment) every
`SSE_HEARTBEAT` seconds.
"""

import json
import re
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import structlog
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pymongo.errors import PyMongoError
from sse_starlette import EventSourceResponse, ServerSentEvent

from lumi_shared.errors import NotFound, ServiceUnavailable

from .hub import CLOSE, Client
from .routes import Access

if TYPE_CHECKING:
    from .deps import Deps

log = structlog.get_logger("lumi.gateway.sse")
SEND_TIMEOUT = 15.0  # a socket that accepts nothing for this long is closed
_TASK_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
_EVENT_ID = re.compile(r"^[0-9a-f]{0,32}-?[0-9]{1,12}$")


def _heartbeat(client: Client) -> ServerSentEvent:
    now = datetime.now(UTC).isoformat().replace("+00:00", "Z")
    return ServerSentEvent(comment="keep-alive", id=client.sent, event="heartbeat",
                           data=json.dumps({"timestamp": now}))


def _close(deps: "Deps", client: Client, lease: str | None) -> None:
    deps.hub.unregister(client)
    deps.leases.release_soon(lease)


def stream(deps: "Deps", client: Client, lease: str,
           snapshot: dict[str, Any] | None) -> EventSourceResponse:
    """`snapshot` None: a resumed stream (only the missed and the new frames)."""
    async def frames():
        try:
            if snapshot is not None:
                yield ServerSentEvent(data=json.dumps(snapshot), event="task:init", id=client.sent)
                state = {"phase": snapshot.get("phase"), "status": snapshot.get("status")}
                yield ServerSentEvent(data=json.dumps(state), event="status", id=client.sent)
            while True:
                item = await client.queue.get()
                if item is CLOSE:
                    return
                frame_id, name, payload = item
                yield ServerSentEvent(data=json.dumps(payload), event=name, id=frame_id)
                client.sent = frame_id
                if client.dropped and client.queue.empty():
                    return
        finally:
            _close(deps, client, lease)

    return EventSourceResponse(
        frames(), ping=deps.settings.SSE_HEARTBEAT, send_timeout=SEND_TIMEOUT,
        ping_message_factory=lambda: _heartbeat(client),
        headers={"Cache-Control": "no-cache, no-transform", "X-Accel-Buffering": "no"},
    )


def router(deps: "Deps") -> APIRouter:
    """`GET /api/tasks/{id}/events`: the task's snapshot (`task:init`, `status`), then its live
    frames; or, resuming after `Last-Event-ID`, the frames the client missed."""
    routes = APIRouter()

    @routes.get("/api/tasks/{task_id}/events", include_in_schema=False)
    async def task_events(task_id: str, request: Request) -> Any:
        caller = await deps.identities.caller(request, Access.LOGIN)
        identity = caller.identity
        if not _TASK_ID.match(task_id):
            raise NotFound("Task not found")
        last_id = request.headers.get("last-event-id", "").strip()
        # Placed before the snapshot is read, so no frame between the two is missed.
        client = deps.hub.register(task_id, identity.user_id, identity.session_id)
        lease = None
        try:
            lease = await deps.leases.take(identity.user_id)
            resumed = await deps.hub.position(
                client, last_id if _EVENT_ID.match(last_id) else None)
            status, body = await deps.upstreams.get_json(
                "generation", f"/api/tasks/{task_id}",
                headers=deps.identities.upstream_headers(request, caller))
        except BaseException as exc:
            _close(deps, client, lease)
            if isinstance(exc, PyMongoError):
                log.warning("sse_database_unavailable", error=f"{type(exc).__name__}: {exc}")
                raise ServiceUnavailable("Live progress is unavailable, poll /status instead") from exc
            raise
        if status != 200:
            _close(deps, client, lease)
            return JSONResponse(body, status_code=status)
        return stream(deps, client, lease, None if resumed else body["data"])

    return routes
