"""`GET /api/workers/status` (public; running job ids only for admins), and for admins
`GET /api/admin/dead-letters` and `POST /api/admin/dead-letters/{queue}/replay`."""

from typing import TYPE_CHECKING

from fastapi import APIRouter, Query, Request

from lumi_shared.errors import Forbidden
from lumi_shared.http import ok

from ..routes import Access
from .models import DeadLettersAnswer, ReplayAnswer, WorkersAnswer

if TYPE_CHECKING:
    from ..deps import Deps

ADMIN_ERRORS: dict[int | str, dict] = {
    401: {"description": "Not logged in (UNAUTHORIZED)"},
    403: {"description": "Not an admin (FORBIDDEN)"}}


def router(deps: "Deps") -> APIRouter:
    routes = APIRouter(tags=["admin"])

    async def admin(request: Request) -> str:
        caller = await deps.identities.caller(request, Access.LOGIN)
        if not caller.identity.is_admin:
            raise Forbidden("Admins only")
        return caller.identity.user_id

    @routes.get("/api/workers/status", response_model=WorkersAnswer, tags=["workers"],
                summary="Job queues: both old shapes (image/model3d and workers) and ours")
    async def workers_status(request: Request) -> dict:
        caller = await deps.identities.caller(request, Access.PUBLIC)
        show_ids = caller.identity is not None and caller.identity.is_admin
        return ok((await deps.operators.workers_status(show_ids)).model_dump())

    @routes.get("/api/admin/dead-letters", response_model=DeadLettersAnswer,
                responses=ADMIN_ERRORS, summary="Dead letters per queue, every service")
    async def dead_letters(request: Request) -> dict:
        await admin(request)
        return ok([q.model_dump() for q in await deps.operators.dead_letters()])

    @routes.post("/api/admin/dead-letters/{queue}/replay", response_model=ReplayAnswer,
                 responses={**ADMIN_ERRORS, 404: {"description": "No such queue (NOT_FOUND)"}},
                 summary="Hand up to `limit` dead letters back to their consumer")
    async def replay(queue: str, request: Request, limit: int = Query(10, ge=1, le=100)) -> dict:
        admin_id = await admin(request)
        return ok((await deps.operators.replay(queue, limit, admin_id)).model_dump())

    return routes
