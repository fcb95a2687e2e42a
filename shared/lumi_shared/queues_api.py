"""Admin routes of a service's job queues: `GET|PATCH /api/admin/queues/{name}` and
`POST|DELETE /api/admin/queues/{name}/pause` (admin role; audited by `QueueControl.update`).
The service lists its controls in `app.state.queues` (name -> QueueControl)."""

from typing import Literal

from fastapi import APIRouter, Request
from pydantic import BaseModel

from .errors import NotFound, ValidationFailed
from .http import ok
from .identity import AdminUser
from .queues import QueueControl, QueuePatch, QueueView

ERRORS: dict[int | str, dict] = {
    400: {"description": "Unknown field or a value out of range (VALIDATION_ERROR)"},
    401: {"description": "Not logged in (UNAUTHORIZED)"},
    403: {"description": "Not an admin (FORBIDDEN)"},
    404: {"description": "No such queue in this service (NOT_FOUND)"}}


class QueueAnswer(BaseModel):
    status: Literal["success"]
    data: QueueView


def _control(request: Request, name: str) -> QueueControl:
    control = getattr(request.app.state, "queues", {}).get(name)
    if control is None:
        raise NotFound(f"Unknown queue: {name}")
    return control


router = APIRouter(prefix="/api/admin/queues", tags=["admin"])


@router.get("/{name}", response_model=QueueAnswer, responses=ERRORS)
async def read_queue(name: str, request: Request, admin: AdminUser) -> dict:
    return ok(_control(request, name).view().model_dump())


@router.patch("/{name}", response_model=QueueAnswer, responses=ERRORS)
async def change_queue(name: str, body: QueuePatch, request: Request, admin: AdminUser) -> dict:
    patch = body.model_dump(exclude_none=True)
    if not patch:
        raise ValidationFailed("Nothing to change: give concurrency, timeout, retries or active")
    view = await _control(request, name).update(patch, admin.user_id)
    return ok(view.model_dump())


@router.post("/{name}/pause", response_model=QueueAnswer, responses=ERRORS)
async def pause_queue(name: str, request: Request, admin: AdminUser) -> dict:
    return ok((await _control(request, name).update({"active": False}, admin.user_id)).model_dump())


@router.delete("/{name}/pause", response_model=QueueAnswer, responses=ERRORS)
async def resume_queue(name: str, request: Request, admin: AdminUser) -> dict:
    return ok((await _control(request, name).update({"active": True}, admin.user_id)).model_dump())
