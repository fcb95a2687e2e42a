"""`/api/users/favorites` and `/api/users/likes`: the caller's lists, paginated.

Shape: the bare array at `data`, as the old backend answered (the web favourites page reads
`Array.isArray(data)`; the mobile app takes an array or `{items}`); `total` and `hasMore`
travel as `X-Total-Count` / `X-Has-More`."""

from fastapi import APIRouter, Response

from lumi_shared.identity import CurrentUser
from lumi_shared.openapi import PAGE_HEADERS, JSend
from lumi_shared.responses import ok_array_json

from .. import service
from ..domain import InteractionType
from .deps import DepsDep, Limit, Offset
from .schemas import GalleryModel

router = APIRouter(prefix="/api/users", tags=["users"])
BARE_PAGE = {"response_model": JSend[list[GalleryModel]], "responses": {200: {
    "description": "The page as a bare array", "headers": PAGE_HEADERS}}}


async def _list(deps: DepsDep, user: CurrentUser, kind: InteractionType, offset: int,
                limit: int) -> Response:
    return ok_array_json(await service.list_user_models(
        catalogue=deps.catalogue, interactions=deps.interactions, directory=deps.directory,
        user_id=user.user_id, kind=kind, offset=offset, limit=limit))


@router.get("/favorites", **BARE_PAGE)
async def my_favorites(deps: DepsDep, user: CurrentUser, limit: Limit = 20,
                       offset: Offset = 0) -> Response:
    return await _list(deps, user, InteractionType.FAVORITE, offset, limit)


@router.get("/likes", **BARE_PAGE)
async def my_likes(deps: DepsDep, user: CurrentUser, limit: Limit = 20,
                   offset: Offset = 0) -> Response:
    return await _list(deps, user, InteractionType.LIKE, offset, limit)
