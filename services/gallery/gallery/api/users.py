"""`/api/users/favorites` and `/api/users/likes`: the caller's lists, paginated.

Shape: the bare array at `data`, as the old backend answered (the web favourites page reads
`Array.isArray(data)`; the mobile app takes an array or `{items}`); `total` and `hasMore`
travel as `X-Total-Count` / `X-Has-More`."""

from fastapi import APIRouter, Response

from lumi_shared.http import ok_array
from lumi_shared.identity import CurrentUser

from .. import service
from ..domain import InteractionType
from .deps import DepsDep, Limit, Offset

router = APIRouter(prefix="/api/users", tags=["users"])


async def _list(deps: DepsDep, user: CurrentUser, kind: InteractionType, offset: int,
                limit: int, response: Response) -> dict:
    return ok_array(response, await service.list_user_models(
        catalogue=deps.catalogue, interactions=deps.interactions, directory=deps.directory,
        user_id=user.user_id, kind=kind, offset=offset, limit=limit))


@router.get("/favorites")
async def my_favorites(deps: DepsDep, user: CurrentUser, response: Response, limit: Limit = 20,
                       offset: Offset = 0) -> dict:
    return await _list(deps, user, InteractionType.FAVORITE, offset, limit, response)


@router.get("/likes")
async def my_likes(deps: DepsDep, user: CurrentUser, response: Response, limit: Limit = 20,
                   offset: Offset = 0) -> dict:
    return await _list(deps, user, InteractionType.LIKE, offset, limit, response)
