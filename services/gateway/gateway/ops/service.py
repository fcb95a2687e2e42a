"""Use cases of the gateway's operator routes: gather each service's `/internal/queues` and
`/internal/dead-letters` (lumi_shared.ops_api) and shape them; replay on the owning service."""

import asyncio
from typing import Any

import structlog

from lumi_shared.dead_letters import DeadLetterQueue, Replayed
from lumi_shared.errors import AppError, NotFound, UpstreamError
from lumi_shared.identity import service_identity_header
from lumi_shared.queues import QueueStatus

from .models import FyWorker, FyWorkerStats, NxWorker, NxWorkerConfig, WorkersStatus

log = structlog.get_logger("lumi.gateway.ops")
JOB_SERVICES = ("generation", "modeling", "printing")
# queue -> (NX key, FY worker name, FY queue name)
OLD_NAMES = {"image_generation": ("image", "Image Generation Worker", "image-generation"),
             "model_generation": ("model3d", "Model Generation Worker", "model-generation"),
             "slicing": (None, "Slicing Worker", "slicing")}


def _ms(seconds: float | None) -> int | None:
    return None if seconds is None else int(seconds * 1000)


def nx_worker(queue: QueueStatus | None, show_ids: bool) -> NxWorker:
    if queue is None:
        return NxWorker(isRunning=False, processingCount=0, processingJobIds=[], config=None)
    return NxWorker(
        isRunning=queue.active, processingCount=queue.running,
        processingJobIds=queue.runningIds if show_ids else [],
        config=NxWorkerConfig(maxConcurrency=queue.concurrency, jobTimeout=_ms(queue.timeout),
                              maxRetries=queue.retries, retryDelayBase=_ms(queue.retryDelayBase),
                              retryDelayMax=_ms(queue.retryDelayMax), isActive=queue.active))


def fy_worker(name: str, queue: QueueStatus | None) -> FyWorker:
    _, title, queue_name = OLD_NAMES.get(name, (None, name, name))
    if queue is None:
        return FyWorker(name=title, status="stopped", queueName=queue_name, concurrency=0,
                        stats=FyWorkerStats(active=0, waiting=0, completed=0, failed=0))
    return FyWorker(name=title, status="running" if queue.active else "stopped",
                    queueName=queue_name, concurrency=queue.concurrency,
                    stats=FyWorkerStats(active=queue.running, waiting=queue.waiting,
                                        completed=queue.completed, failed=queue.failed))


class Operators:
    def __init__(self, upstreams: Any, secret: str) -> None:
        self.upstreams, self.secret = upstreams, secret

    async def _call(self, method: str, service: str, path: str) -> Any:
        status, body = await self.upstreams.call_json(
            method, service, path, headers=service_identity_header("gateway", self.secret),
            timeout=5.0)
        if status == 404:
            raise NotFound((body or {}).get("data", {}).get("message", "Not found"))
        if status != 200 or not isinstance(body, dict):
            raise UpstreamError(f"{service} answered {status}")
        return body["data"]

    async def _gather(self, services: tuple[str, ...], path: str) -> tuple[dict[str, Any], list[str]]:
        async def one(service: str) -> tuple[str, Any]:
            try:
                return service, await self._call("GET", service, path)
            except AppError as exc:
                log.warning("ops_service_unavailable", service=service, path=path, error=exc.message)
                return service, None

        answers = dict(await asyncio.gather(*(one(s) for s in services)))
        return ({s: a for s, a in answers.items() if a is not None},
                [s for s, a in answers.items() if a is None])

    async def workers_status(self, show_ids: bool) -> WorkersStatus:
        answers, down = await self._gather(JOB_SERVICES, "/internal/queues")
        queues = {q.name: q for found in answers.values()
                  for q in (QueueStatus(**item) for item in found)}
        names = list(dict.fromkeys([*OLD_NAMES, *queues]))
        return WorkersStatus(
            image=nx_worker(queues.get("image_generation"), show_ids),
            model3d=nx_worker(queues.get("model_generation"), show_ids),
            workers=[fy_worker(n, queues.get(n)) for n in names],
            queues=list(queues.values()), unavailable=down)

    async def dead_letters(self) -> list[DeadLetterQueue]:
        answers, _ = await self._gather(tuple(self.upstreams.urls), "/internal/dead-letters")
        return [DeadLetterQueue(**item) for found in answers.values() for item in found]

    async def replay(self, queue: str, limit: int, admin_id: str) -> Replayed:
        service = queue.split(".", 1)[0]
        if service not in self.upstreams.urls or "/" in queue:
            raise NotFound(f"No dead-letter queue {queue}")
        data = await self._call("POST", service, f"/internal/dead-letters/{queue}/replay?limit={limit}")
        log.info("dead_letters_replayed", queue=queue, replayed=data["replayed"], admin_id=admin_id)
        return Replayed(**data)
