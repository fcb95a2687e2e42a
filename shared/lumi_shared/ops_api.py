"""Internal operator routes every service has (the gateway's `/api/workers/status` and
`/api/admin/dead-letters` gather them): its job queues' status, its dead letters, a replay."""

from typing import Literal

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel

from .dead_letters import DeadLetterQueue, Replayed, list_dead_letters, replay_dead_letters
from .http import ok
from .identity import ServiceCaller
from .queues import QueueStatus

router = APIRouter(prefix="/internal", include_in_schema=False)


class QueuesAnswer(BaseModel):
    status: Literal["success"]
    data: list[QueueStatus]


class DeadLettersAnswer(BaseModel):
    status: Literal["success"]
    data: list[DeadLetterQueue]


class ReplayAnswer(BaseModel):
    status: Literal["success"]
    data: Replayed


def _service(request: Request) -> str:
    return request.app.state.settings.SERVICE_NAME


@router.get("/queues", response_model=QueuesAnswer)
async def queues_status(request: Request, caller: ServiceCaller) -> dict:
    bus = request.app.state.infra.bus
    controls = getattr(request.app.state, "queues", {}).values()
    return ok([(await c.status(bus)).model_dump() for c in controls])


@router.get("/dead-letters", response_model=DeadLettersAnswer)
async def dead_letters(request: Request, caller: ServiceCaller) -> dict:
    found = await list_dead_letters(request.app.state.infra.bus, _service(request))
    return ok([q.model_dump() for q in found])


@router.post("/dead-letters/{queue}/replay", response_model=ReplayAnswer)
async def replay(queue: str, request: Request, caller: ServiceCaller,
                 limit: int = Query(10, ge=1, le=100)) -> dict:
    done = await replay_dead_letters(request.app.state.infra.bus, _service(request), queue, limit)
    return ok(done.model_dump())
