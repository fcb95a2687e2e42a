"""Admin routes of a service's job queues: `GET|PATCH /api/admin/queues/{name}` and
`POST|DELETE /api/admin/queues/{name}/pause` (admin role; audited by `QueueControl.update`).
The service lists its controls in `app.state.queues` (name -> QueueControl)."""

from fastapi import APIRouter, Request, Response

from .errors import NotFound, ValidationFailed
from .identity import AdminUser
from .openapi import JSend, errors
from .queues import QueueControl, QueuePatch, QueueView
from .responses import ok_json

ERRORS = errors(s400="Unknown field, no field, or a value out of range (VALIDATION_ERROR)",
                s403="Not an admin (FORBIDDEN)", s404="No such queue in this service (NOT_FOUND)")
QueueAnswer = JSend[QueueView]


def _control(request: Request, name: str) -> QueueControl:
    control = getattr(request.app.state, "queues", {}).get(name)
    if control is None:
        raise NotFound(f"Unknown queue: {name}")
    return control


router = APIRouter(prefix="/api/admin/queues", tags=["admin"])


@router.get("/{name}", response_model=QueueAnswer, responses=ERRORS)
async def read_queue(name: str, request: Request, admin: AdminUser) -> Response:
    return ok_json(_control(request, name).view())


@router.patch("/{name}", response_model=QueueAnswer, responses=ERRORS)
async def change_queue(name: str, body: QueuePatch, request: Request,
                       admin: AdminUser) -> Response:
    patch = body.model_dump(exclude_none=True)
    if not patch:
        raise ValidationFailed("Nothing to change: give concurrency, timeout, retries or active")
    view = await _control(request, name).update(patch, admin.user_id)
    return ok_json(view)


@router.post("/{name}/pause", response_model=QueueAnswer, responses=ERRORS)
async def pause_queue(name: str, request: Request, admin: AdminUser) -> Response:
    return ok_json(await _control(request, name).update({"active": False}, admin.user_id))


@router.delete("/{name}/pause", response_model=QueueAnswer, responses=ERRORS)
async def resume_queue(name: str, request: Request, admin: AdminUser) -> Response:
    return ok_json(await _control(request, name).update({"active": True}, admin.user_id))
