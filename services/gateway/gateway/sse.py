"""Live task progress over SSE (`GET /api/tasks/{id}/events`) with the old API's event names
(each event contract's `sse()` gives its frame: a new event needs no change here).

Every gateway replica receives every event through its own broadcast queue and pushes it to
its own clients. Each client has a bounded buffer: a client that cannot keep up is dropped
(it reconnects and gets a fresh `task:init`), so one slow reader never delays the others.
"""

import asyncio
import json
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import structlog
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sse_starlette import EventSourceResponse, ServerSentEvent

from lumi_shared import contracts as c
from lumi_shared.errors import NotFound, ServiceUnavailable

from .routes import Access

if TYPE_CHECKING:
    from .main import Deps

log = structlog.get_logger("lumi.gateway.sse")

_CLOSE = object()
SEND_TIMEOUT = 15.0  # a socket that accepts nothing for this long is closed
_TASK_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


def to_sse(event: c.Event) -> tuple[str, dict[str, Any]] | None:
    """The old API's (SSE name, payload) of an event: each contract describes itself."""
    return event.sse()


@dataclass(eq=False)
class Client:
    task_id: str
    user_id: str
    session_id: str | None
    queue: asyncio.Queue = field(default_factory=asyncio.Queue)
    dropped: bool = False


class SseHub:
    def __init__(self, *, buffer: int, max_clients: int) -> None:
        self.buffer, self.max_clients = buffer, max_clients
        self._by_task: dict[str, set[Client]] = {}
        self.count = 0
        self.dropped = 0

    def register(self, task_id: str, user_id: str, session_id: str | None) -> Client | None:
        if self.count >= self.max_clients:
            return None
        client = Client(task_id, user_id, session_id, asyncio.Queue(self.buffer))
        self._by_task.setdefault(task_id, set()).add(client)
        self.count += 1
        return client

    def unregister(self, client: Client) -> None:
        clients = self._by_task.get(client.task_id)
        if clients and client in clients:
            clients.discard(client)
            self.count -= 1
            if not clients:
                del self._by_task[client.task_id]

    def _push(self, client: Client, item: Any) -> None:
        if client.dropped:
            return
        try:
            client.queue.put_nowait(item)
        except asyncio.QueueFull:
            client.dropped = True
            self.dropped += 1
            log.warning("sse_client_dropped", task_id=client.task_id, reason="slow_reader")
            self.unregister(client)

    async def on_event(self, event: c.Event) -> None:
        if isinstance(event, c.SessionRevoked):
            for clients in list(self._by_task.values()):
                for client in list(clients):
                    if client.session_id == event.session_id:
                        client.dropped = True
                        self.unregister(client)
                        if not client.queue.full():
                            client.queue.put_nowait(_CLOSE)
            return
        task_id = getattr(event, "task_id", None)
        clients = self._by_task.get(task_id) if task_id else None
        if not clients:
            return
        frame = to_sse(event)
        if frame is None:
            return
        for client in list(clients):
            if client.user_id == event.user_id:
                self._push(client, frame)
                if event.ends_stream:
                    self._push(client, _CLOSE)

    def stream(self, client: Client, snapshot: dict[str, Any], heartbeat: float) -> EventSourceResponse:
        async def frames():
            try:
                yield ServerSentEvent(data=json.dumps(snapshot), event="task:init")
                while True:
                    item = await client.queue.get()
                    if item is _CLOSE:
                        return
                    name, payload = item
                    yield ServerSentEvent(data=json.dumps(payload), event=name)
                    if client.dropped and client.queue.empty():
                        return
            finally:
                self.unregister(client)

        return EventSourceResponse(
            frames(), ping=heartbeat, send_timeout=SEND_TIMEOUT,
            ping_message_factory=lambda: ServerSentEvent(comment="keep-alive"),
            headers={"Cache-Control": "no-cache, no-transform", "X-Accel-Buffering": "no"},
        )


def router(deps: "Deps") -> APIRouter:
    """`GET /api/tasks/{id}/events`: the task's snapshot (`task:init`), then its live frames."""
    routes = APIRouter()

    @routes.get("/api/tasks/{task_id}/events", include_in_schema=False)
    async def task_events(task_id: str, request: Request) -> Any:
        caller = await deps.identities.caller(request, Access.LOGIN)
        identity = caller.identity
        if not _TASK_ID.match(task_id):
            raise NotFound("Task not found")
        # Register before the snapshot so no event between the two is missed.
        client = deps.hub.register(task_id, identity.user_id, identity.session_id)
        if client is None:
            raise ServiceUnavailable("Too many live connections, poll /status instead")
        try:
            status, body = await deps.upstreams.get_json(
                "generation", f"/api/tasks/{task_id}",
                headers=deps.identities.upstream_headers(request, caller))
        except BaseException:
            deps.hub.unregister(client)
            raise
        if status != 200:
            deps.hub.unregister(client)
            return JSONResponse(body, status_code=status)
        return deps.hub.stream(client, body["data"], deps.settings.SSE_HEARTBEAT)

    return routes
