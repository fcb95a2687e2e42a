"""HTTP routes of the modeling service: the caller's own models and model metadata."""

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    WithJsonSchema,
    field_validator,
)
from pydantic_core import PydanticCustomError

from lumi_shared.identity import CurrentUser, ServiceCaller
from lumi_shared.openapi import PAGE_HEADERS, JSend, Message, errors
from lumi_shared.responses import ok_array_json, ok_json
from lumi_shared.text import CONTROL_MESSAGE, MULTI_LINE_PATTERN, ONE_LINE_PATTERN, has_control

from . import service
from .deps import Deps
from .domain.model import SortBy, Visibility
from .schemas import Model, ModelPage


async def get_deps(request: Request) -> Deps:
    return request.app.state.modeling


DepsDep = Annotated[Deps, Depends(get_deps)]


class ListParams(BaseModel):
    visibility: Visibility | None = None
    sort: SortBy
    limit: int
    offset: int


async def list_params(
    visibility: Visibility | None = None,
    sortBy: SortBy | None = None,  # noqa: N803 - public query name
    sort: SortBy | None = Query(None, description="alias of sortBy"),
    limit: int = Query(20, ge=1, le=100),
    offset: int = Query(0, ge=0),
) -> ListParams:
    return ListParams(visibility=visibility, sort=sortBy or sort or SortBy.LATEST,
                      limit=limit, offset=offset)


ListDep = Annotated[ListParams, Depends(list_params)]


def _plain(multiline: bool):
    def check(value: str) -> str:
        if has_control(value, multiline=multiline):
            raise PydanticCustomError("text", CONTROL_MESSAGE)
        return value

    return AfterValidator(check)


Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100),
                 _plain(False)]
Description = Annotated[str, StringConstraints(strip_whitespace=True, max_length=500),
                        _plain(True)]
NAME_SCHEMA = WithJsonSchema({
    "type": "string", "minLength": 1, "maxLength": 100, "description": "Trimmed; one line",
    "allOf": [{"pattern": r"\S"}, {"pattern": ONE_LINE_PATTERN}]})
DESCRIPTION_SCHEMA = WithJsonSchema({
    "anyOf": [{"type": "string", "maxLength": 500, "pattern": MULTI_LINE_PATTERN},
              {"type": "null"}], "description": "Trimmed; empty or null clears it"})
ModelId = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")]
OWN_MODEL = errors(s404="No such model of the caller")


class ModelEdit(BaseModel):
    """Only these two fields can change here; anything else in the body is ignored."""

    model_config = ConfigDict(extra="ignore")

    name: Annotated[Name | None, NAME_SCHEMA] = None
    description: Annotated[Description | None, DESCRIPTION_SCHEMA] = Field(None)

    @field_validator("name")
    @classmethod
    def _name_not_null(cls, value: str | None) -> str:
        if value is None:
            raise ValueError("name cannot be null")
        return value

    def changes(self) -> dict[str, Any]:
        out = self.model_dump(include=self.model_fields_set & {"name", "description"})
        if "description" in out and not out["description"]:
            out["description"] = None
        return out


class VisibilityChange(BaseModel):
    model_config = ConfigDict(extra="ignore")

    visibility: Visibility


router = APIRouter(tags=["models"])


async def _list(user_id: str, deps: Deps, params: ListParams) -> dict[str, Any]:
    return await service.list_models(user_id, deps, visibility=params.visibility,
                                     sort=params.sort, limit=params.limit,
                                     offset=params.offset)


@router.get("/api/users/models", response_model=JSend[ModelPage])
async def my_models_page(user: CurrentUser, deps: DepsDep, params: ListDep) -> Response:
    """The caller's models with `{items, total, publicCount, hasMore}`; the totals respect
    the visibility filter."""
    return ok_json(await _list(user.user_id, deps, params))


@router.get("/api/users/my-models", response_model=JSend[list[Model]], responses={200: {
    "description": "The page as a bare array", "headers": PAGE_HEADERS}})
async def my_models(user: CurrentUser, deps: DepsDep, params: ListDep) -> Response:
    """Same items as /api/users/models, as the old backend's bare array at `data` (the mobile
    app takes an array or `{items}`); the total is in `X-Total-Count`."""
    return ok_array_json(await _list(user.user_id, deps, params))


@router.patch("/api/models/{model_id}", response_model=JSend[Model], responses=OWN_MODEL)
async def edit_model(model_id: ModelId, body: ModelEdit, user: CurrentUser,
                     deps: DepsDep) -> Response:
    return ok_json(await service.edit_model(user.user_id, model_id, body.changes(), deps))


@router.patch("/api/models/{model_id}/visibility", response_model=JSend[Model], responses={
    **OWN_MODEL, **errors(s409="Only a completed model can be made public, or a concurrent "
                               "change")})
async def change_visibility(model_id: ModelId, body: VisibilityChange, user: CurrentUser,
                            deps: DepsDep) -> Response:
    return ok_json(await service.change_visibility(user.user_id, model_id, body.visibility, deps))


@router.delete("/api/models/{model_id}", response_model=JSend[Message], responses=OWN_MODEL)
async def delete_model(model_id: ModelId, user: CurrentUser, deps: DepsDep) -> Response:
    await service.delete_model(user.user_id, model_id, deps)
    return ok_json({"message": "Model deleted"})


@router.get("/internal/tasks/{task_id}/model", include_in_schema=False)
async def model_of_task(task_id: str, _: ServiceCaller, deps: DepsDep) -> Response:
    return ok_json(await service.model_of_task(task_id, deps))


@router.get("/internal/users/{user_id}/stats", include_in_schema=False)
async def user_stats(user_id: str, _: ServiceCaller, deps: DepsDep) -> Response:
    return ok_json(await service.user_stats(user_id, deps))
