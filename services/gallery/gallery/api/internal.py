"""Internal endpoints (never routed by the gateway; service identity required)."""

from fastapi import APIRouter, Response

from lumi_shared.identity import ServiceCaller
from lumi_shared.responses import ok_json

from .. import service
from .deps import DepsDep

router = APIRouter(prefix="/internal", tags=["internal"])


@router.get("/users/{user_id}/stats")
async def user_stats(user_id: str, deps: DepsDep, _: ServiceCaller) -> Response:
    return ok_json(await service.user_stats(catalogue=deps.catalogue, interactions=deps.interactions,
                                       user_id=user_id))
