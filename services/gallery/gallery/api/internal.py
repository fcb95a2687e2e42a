"""Internal endpoints (never routed by the gateway; service identity required)."""

from fastapi import APIRouter

from lumi_shared.http import ok
from lumi_shared.identity import ServiceCaller

from .. import service
from .deps import DepsDep

router = APIRouter(prefix="/internal", tags=["internal"])


@router.get("/users/{user_id}/stats")
async def user_stats(user_id: str, deps: DepsDep, _: ServiceCaller) -> dict:
    return ok(await service.user_stats(catalogue=deps.catalogue, interactions=deps.interactions,
                                       user_id=user_id))
