"""`/api/users/favorites` and `/api/users/likes`: the caller's lists, paginated.

Shape `{items, total, hasMore}` (the old FY backend answered a bare array; the mobile app
expects an object with `items` and `total`)."""

from fastapi import APIRouter

from lumi_shared.http import ok
from lumi_shared.identity import CurrentUser

from .. import service
from ..domain import InteractionType
from .deps import DepsDep, Limit, Offset

router = APIRouter(prefix="/api/users", tags=["users"])


async def _list(deps: DepsDep, user: CurrentUser, kind: InteractionType, offset: int,
                limit: int) -> dict:
    return ok(await service.list_user_models(
        catalogue=deps.catalogue, interactions=deps.interactions, directory=deps.directory,
        user_id=user.user_id, kind=kind, offset=offset, limit=limit))


@router.get("/favorites")
async def my_favorites(deps: DepsDep, user: CurrentUser, limit: Limit = 20,
                       offset: Offset = 0) -> dict:
    return await _list(deps, user, InteractionType.FAVORITE, offset, limit)


@router.get("/likes")
async def my_likes(deps: DepsDep, user: CurrentUser, limit: Limit = 20, offset: Offset = 0) -> dict:
    return await _list(deps, user, InteractionType.LIKE, offset, limit)
