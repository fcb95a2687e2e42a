"""Task routes (`/api/tasks`) and the internal stats route: validate, call one use case."""

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field, StrictInt, StrictStr

from lumi_shared.errors import ValidationFailed
from lumi_shared.identity import CurrentUser, ServiceCaller
from lumi_shared.openapi import JSend, errors
from lumi_shared.responses import ok_json
from lumi_shared.text import MULTI_LINE_PATTERN

from . import service
from .domain.clock import parse_timestamp
from .domain.task import MAX_PROMPT_LENGTH
from .repository import TaskRepository
from .schemas import Deleted, Selection, Task, TaskPage
from .views import task_view

NO_CACHE = {"Cache-Control": "no-cache, must-revalidate"}


async def _repo(request: Request) -> TaskRepository:
    return request.app.state.generation.repo


Repo = Annotated[TaskRepository, Depends(_repo)]


class TaskCreate(BaseModel):
    model_config = ConfigDict(extra="ignore")
    prompt: Annotated[StrictStr, Field(
        description=f"1 to {MAX_PROMPT_LENGTH} characters once trimmed; no control characters "
                    "but tab and line breaks",
        json_schema_extra={"minLength": 1, "maxLength": MAX_PROMPT_LENGTH,
                           "allOf": [{"pattern": r"\S"}, {"pattern": MULTI_LINE_PATTERN}]})]


class ImageSelection(BaseModel):
    model_config = ConfigDict(extra="ignore")
    selectedImageIndex: Annotated[StrictInt, Field(
        ge=0, le=3, description='0-3, a JSON integer without a fraction (2.0 and "2" are refused)')]


class TaskRetry(BaseModel):
    model_config = ConfigDict(extra="ignore")
    type: Literal["image", "model"]


TaskId = Annotated[str, Path(pattern=r"^[A-Za-z0-9_-]{1,64}$", description="Task id")]
NOT_FOUND = errors(s404="No such task of the caller")
router = APIRouter(prefix="/api/tasks", tags=["tasks"])
internal_router = APIRouter(prefix="/internal", tags=["internal"])


@router.get("", response_model=JSend[TaskPage])
async def list_tasks(user: CurrentUser, repo: Repo,
                     limit: Annotated[int | None, Query(ge=1, le=100)] = None,
                     offset: Annotated[int | None, Query(ge=0)] = None,
                     page: Annotated[int | None, Query(ge=1)] = None,
                     page_size: Annotated[int | None, Query(alias="pageSize", ge=1, le=100)] = None):
    if limit is None and offset is None and (page is not None or page_size is not None):
        size = page_size or 20
        data = await service.list_tasks(repo=repo, user_id=user.user_id,
                                        offset=((page or 1) - 1) * size, limit=size)
        return ok_json({**data, "page": page or 1, "pageSize": size})
    return ok_json(await service.list_tasks(repo=repo, user_id=user.user_id, offset=offset or 0,
                                            limit=limit or 20))


@router.post("", status_code=201, response_model=JSend[Task], responses=errors(
    s429="Too many generations started in the last minute, or too many still running"))
async def create_task(body: TaskCreate, user: CurrentUser, repo: Repo, request: Request):
    task = await service.create_task(repo=repo, user_id=user.user_id, prompt=body.prompt,
                                     limits=request.app.state.generation_limits)
    return ok_json(task, status_code=201)


@router.get("/{task_id}", response_model=JSend[Task], responses=NOT_FOUND)
async def get_task(task_id: TaskId, user: CurrentUser, repo: Repo):
    doc = await service.get_task(repo=repo, user_id=user.user_id, task_id=task_id)
    return ok_json(task_view(doc))


@router.get("/{task_id}/status", response_model=JSend[Task], responses={
    **NOT_FOUND, 304: {"description": "Nothing changed after `since`"}})
async def task_status(task_id: TaskId, user: CurrentUser, repo: Repo,
                      since: Annotated[str | None, Query(
                          max_length=64, description="ISO-8601 date-time or epoch milliseconds;"
                                                     " 304 when the task did not change after it",
                          json_schema_extra={"anyOf": [
                              {"type": "string", "format": "date-time", "maxLength": 64},
                              {"type": "string", "pattern": r"^\d{1,13}$"}]})] = None):
    marker = None
    if since is not None:
        try:
            marker = parse_timestamp(since)
        except (ValueError, OverflowError, OSError):
            raise ValidationFailed("since must be an ISO-8601 date-time") from None
    task = await service.task_changes(repo=repo, user_id=user.user_id, task_id=task_id,
                                      since=marker)
    if task is None:
        return Response(status_code=304, headers=NO_CACHE)
    return ok_json(task, headers=NO_CACHE)


@router.patch("/{task_id}", response_model=JSend[Selection], responses={**NOT_FOUND, **errors(
    s409="Not awaiting a selection, the image is not completed, or a model was already "
         "requested")})
async def select_image(task_id: TaskId, body: ImageSelection, user: CurrentUser, repo: Repo):
    return ok_json(await service.select_image(repo=repo, user_id=user.user_id, task_id=task_id,
                                              index=body.selectedImageIndex))


@router.delete("/{task_id}", response_model=JSend[Deleted], responses=NOT_FOUND)
async def delete_task(task_id: TaskId, user: CurrentUser, repo: Repo):
    return ok_json(await service.delete_task(repo=repo, user_id=user.user_id, task_id=task_id))


@router.post("/{task_id}/retry", response_model=JSend[Task], responses={**NOT_FOUND, **errors(
    s409="Nothing failed to retry (no failed images / no failed model)")})
async def retry_task(task_id: TaskId, body: TaskRetry, user: CurrentUser, repo: Repo):
    return ok_json(await service.retry_task(repo=repo, user_id=user.user_id, task_id=task_id,
                                            kind=body.type))


@internal_router.get("/users/{user_id}/stats")
async def user_stats(user_id: str, caller: ServiceCaller, repo: Repo):
    return ok_json(await service.user_stats(repo=repo, user_id=user_id))
