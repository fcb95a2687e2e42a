"""`/api/gallery/*`: the public catalogue, model details, downloads and interactions."""

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field

from lumi_shared.identity import CurrentUser, OptionalUser
from lumi_shared.openapi import JSend, Message, errors
from lumi_shared.responses import ok_json

from .. import service
from ..domain import GallerySort, InteractionType
from .deps import ClientIP, DepsDep, Limit, Offset
from .schemas import BatchInteractions, GalleryModel, GalleryPage, Interactions, Toggled

router = APIRouter(prefix="/api/gallery", tags=["gallery"])
ModelId = Annotated[str, Field(min_length=1, max_length=128)]
PathModelId = Annotated[str, Path(min_length=1, max_length=128)]
VISIBLE = errors(s404="No such model, or a private model of another user")


class InteractionToggle(BaseModel):
    model_config = ConfigDict(extra="ignore")
    type: InteractionType


class BatchInteractionsRequest(BaseModel):
    model_config = ConfigDict(extra="ignore")
    modelIds: list[ModelId] = Field(min_length=1, max_length=100)  # noqa: N815 (wire name)


def _uid(user: Any) -> str | None:
    return user.user_id if user else None


@router.get("/models", response_model=JSend[GalleryPage])
async def list_models(deps: DepsDep, limit: Limit = 20, offset: Offset = 0,
                      sortBy: Annotated[GallerySort | None, Query()] = None,  # noqa: N803 (web)
                      sort: Annotated[GallerySort | None, Query()] = None) -> Response:
    chosen = sortBy or sort or GallerySort.LATEST
    return ok_json(await service.browse_models(
        catalogue=deps.catalogue, directory=deps.directory, sort=chosen, offset=offset,
        limit=limit, cache=deps.pages))


@router.post("/models/batch-interactions", response_model=JSend[BatchInteractions])
async def batch_interactions(body: BatchInteractionsRequest, deps: DepsDep,
                             user: OptionalUser) -> Response:
    model_ids = list(dict.fromkeys(body.modelIds))
    return ok_json(await service.batch_interactions(interactions=deps.interactions,
                                               model_ids=model_ids, user_id=_uid(user)))


@router.get("/models/{model_id}", response_model=JSend[GalleryModel], responses=VISIBLE)
async def get_model(model_id: PathModelId, deps: DepsDep, user: OptionalUser,
                    client_ip: ClientIP) -> Response:
    return ok_json(await service.get_model(
        catalogue=deps.catalogue, directory=deps.directory, model_id=model_id,
        user_id=_uid(user), client_ip=client_ip,
        view_window_seconds=deps.settings.VIEW_DEDUPE_SECONDS))


@router.post("/models/{model_id}/download", response_model=JSend[Message], responses=VISIBLE)
async def download_model(model_id: PathModelId, deps: DepsDep, user: CurrentUser) -> Response:
    return ok_json(await service.count_download(catalogue=deps.catalogue, model_id=model_id,
                                           user_id=user.user_id))


@router.get("/models/{model_id}/interactions", response_model=JSend[Interactions],
            responses=VISIBLE)
async def get_interactions(model_id: PathModelId, deps: DepsDep, user: OptionalUser) -> Response:
    return ok_json(await service.get_interactions(catalogue=deps.catalogue,
                                             interactions=deps.interactions,
                                             model_id=model_id, user_id=_uid(user)))


@router.post("/models/{model_id}/interactions", response_model=JSend[Toggled],
             responses=VISIBLE)
async def toggle_interaction(model_id: PathModelId, body: InteractionToggle, deps: DepsDep,
                             user: CurrentUser) -> Response:
    return ok_json(await service.toggle_interaction(catalogue=deps.catalogue,
                                               interactions=deps.interactions,
                                               model_id=model_id, user_id=user.user_id,
                                               kind=body.type))
