"""Live task progress over SSE (`GET /api/tasks/{id}/events`) with the old API's event names.

Every gateway replica receives every event through its own broadcast queue and pushes it to
its own clients. Each client has a bounded buffer: a client that cannot keep up is dropped
(it reconnects and gets a fresh `task:init`), so one slow reader never delays the others.
"""

import asyncio
import json
from dataclasses import dataclass, field
from typing import Any

import structlog
from sse_starlette import EventSourceResponse, ServerSentEvent

from lumi_shared import contracts as c

log = structlog.get_logger("lumi.gateway.sse")

_CLOSE = object()
SEND_TIMEOUT = 15.0  # a socket that accepts nothing for this long is closed


def to_sse(event: c.Event) -> tuple[str, dict[str, Any]] | None:
    """Translate an event into the old API's (SSE name, payload); None when not shown."""
    if isinstance(event, c.ImageGenerating):
        return "image:generating", {"imageId": event.image_id, "index": event.index}
    if isinstance(event, c.ImageCompleted):
        return "image:completed", {"imageId": event.image_id, "index": event.index,
                                   "imageUrl": event.image_url}
    if isinstance(event, c.ImageFailed):
        return "image:failed", {"imageId": event.image_id, "index": event.index,
                                "errorMessage": event.error_message}
    if isinstance(event, c.TaskImagesReady):
        return "task:updated", {"requestId": event.task_id, "status": "IMAGE_COMPLETED",
                                "phase": "AWAITING_SELECTION"}
    if isinstance(event, c.TaskImagesRetried):
        return "task:updated", {"requestId": event.task_id, "status": "IMAGE_GENERATING",
                                "phase": "IMAGE_GENERATION", "retriedIndexes": event.indexes}
    if isinstance(event, c.ImageSelected):
        return "task:updated", {"requestId": event.task_id, "status": "MODEL_PENDING",
                                "phase": "MODEL_GENERATION", "selectedImageIndex": event.index,
                                "modelId": event.model_id}
    if isinstance(event, c.TaskFailed):
        status = event.status or "FAILED"
        phase = "MODEL_GENERATION" if status == "MODEL_FAILED" else "IMAGE_GENERATION"
        return "task:updated", {"requestId": event.task_id, "status": status, "phase": phase,
                                "errorMessage": event.error_message}
    if isinstance(event, c.ModelGenerating):
        return "model:generating", {"modelId": event.model_id,
                                    "providerJobId": event.provider_job_id}
    if isinstance(event, c.ModelProgressed):
        return "model:progress", {"modelId": event.model_id, "progress": event.progress,
                                  "status": event.status}
    if isinstance(event, c.ModelReady):
        files = event.files
        return "model:completed", {
            "modelId": event.model_id, "modelUrl": files.model_url, "format": files.format,
            "previewImageUrl": files.preview_image_url, "glbUrl": files.glb_url,
            "objUrl": files.obj_url, "mtlUrl": files.mtl_url, "textureUrl": files.texture_url,
            "stlUrl": files.stl_url, "fileSize": files.file_size}
    if isinstance(event, c.ModelFailed):
        return "model:failed", {"modelId": event.model_id, "errorMessage": event.error_message}
    if isinstance(event, c.PrintSubmitted):
        return "print:submitted", {"modelId": event.model_id, "printJobId": event.print_job_id}
    if isinstance(event, c.PrintStatusChanged):
        return "print:status", {"modelId": event.model_id, "printJobId": event.print_job_id,
                                "status": event.status, "progress": event.progress,
                                "errorMessage": event.error_message}
    if isinstance(event, c.SliceStatusChanged):
        return "print:slice", {"modelId": event.model_id, "sliceTaskId": event.slice_task_id,
                               "sliceStatus": event.status, "gcodeUrl": event.gcode_url,
                               "errorMessage": event.error_message}
    if isinstance(event, c.TaskDeleted):
        return "task:deleted", {"requestId": event.task_id}
    return None


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
                if isinstance(event, c.TaskDeleted):
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
