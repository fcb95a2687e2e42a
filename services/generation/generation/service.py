"""Use cases behind the task endpoints. Ownership is part of every lookup: another user's task
is indistinguishable from a missing one."""

from datetime import datetime
from typing import Any, Literal

import structlog

from lumi_shared.aggregate import Transition
from lumi_shared.errors import NotFound

from .domain import task as tasks
from .repository import TaskRepository
from .views import model_view, task_view

log = structlog.get_logger("lumi.generation")
TASK_NOT_FOUND = "Task not found"


async def create_task(*, repo: TaskRepository, user_id: str, prompt: Any,
                      limits: Any = None) -> dict[str, Any]:
    text = tasks.clean_prompt(prompt)
    doc, event = tasks.new_task(user_id, text, repo.clock())
    if limits is not None:
        await limits.admit(user_id, doc["_id"])
    await repo.insert(doc, event)
    log.info("task_created", task_id=doc["_id"], user_id=user_id, prompt_length=len(text))
    return task_view(doc)


async def list_tasks(*, repo: TaskRepository, user_id: str, offset: int,
                     limit: int) -> dict[str, Any]:
    docs, total = await repo.list_for_user(user_id, offset=offset, limit=limit)
    return {"items": [task_view(d) for d in docs], "total": total,
            "hasMore": offset + len(docs) < total, "limit": limit, "offset": offset}


async def get_task(*, repo: TaskRepository, user_id: str, task_id: str) -> dict[str, Any]:
    doc = await repo.get(task_id, user_id=user_id)
    if doc is None:
        raise NotFound(TASK_NOT_FOUND)
    return doc


async def task_changes(*, repo: TaskRepository, user_id: str, task_id: str,
                       since: datetime | None) -> dict[str, Any] | None:
    """The task view, or None when nothing changed after `since` (the client answers 304)."""
    doc = await get_task(repo=repo, user_id=user_id, task_id=task_id)
    if since is not None and doc["updatedAt"] <= since:
        return None
    return task_view(doc)


async def _command(repo: TaskRepository, user_id: str, task_id: str, command: Transition):
    result = await repo.mutate(task_id, command, user_id=user_id)
    if result is None:
        raise NotFound(TASK_NOT_FOUND)
    return result


async def select_image(*, repo: TaskRepository, user_id: str, task_id: str,
                       index: int) -> dict[str, Any]:
    result = await _command(repo, user_id, task_id, tasks.select_image(index))
    model = result.doc["model"]
    log.info("image_selected", task_id=task_id, index=index, model_id=model["id"])
    return {"model": model_view(model), "selectedImageIndex": index,
            "task": task_view(result.doc)}


async def retry_task(*, repo: TaskRepository, user_id: str, task_id: str,
                     kind: Literal["image", "model"]) -> dict[str, Any]:
    command = tasks.retry_images if kind == "image" else tasks.retry_model
    result = await _command(repo, user_id, task_id, command)
    log.info("task_retry_requested", task_id=task_id, kind=kind)
    return task_view(result.doc)


async def delete_task(*, repo: TaskRepository, user_id: str, task_id: str) -> dict[str, Any]:
    """Hides the task at once; the TaskDeleted consumer removes its files and document after
    the event left the outbox (the document carrying the outbox must outlive the publish)."""
    await _command(repo, user_id, task_id, tasks.mark_deleted)
    log.info("task_deleted", task_id=task_id)
    return {"id": task_id, "deleted": True}


async def user_stats(*, repo: TaskRepository, user_id: str) -> dict[str, int]:
    return await repo.user_stats(user_id)
