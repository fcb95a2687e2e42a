"""Use cases of the modeling service (no FastAPI/FastStream here)."""

from typing import Any

import structlog
from pymongo.errors import DuplicateKeyError

from lumi_shared.contracts import ImageSelected, TaskDeleted
from lumi_shared.contracts.base import utcnow
from lumi_shared.errors import Conflict, PoisonMessage

from .deps import Deps
from .domain import transitions
from .domain.model import (
    MODEL_ID,
    JobStatus,
    ModelNotCompleted,
    ModelNotFound,
    SortBy,
    Visibility,
    is_completed,
    new_model_document,
    public_model,
    tombstone_document,
)
from .files import copy_to_new_key, delete_keys
from .repository import purge_time

log = structlog.get_logger("modeling.service")


def is_retry_request(event: ImageSelected) -> bool:
    """The marker generation sets when the owner asks to re-run a failed model
    (`POST /api/tasks/{id}/retry {type: "model"}`)."""
    return bool(event.retry) or event.attempt > 1


async def accept_selection(event: ImageSelected, deps: Deps) -> str:
    """Create the model and its PENDING job (the worker runs it). A duplicate is a no-op -
    the unique indexes on `_id` and `task_id` decide, not a prior read - except a retry
    request for a FAILED model, which resets it. Returns what happened."""
    if not MODEL_ID.match(event.model_id):
        raise PoisonMessage("ImageSelected.model_id is not a valid id")
    settings, now = deps.settings, utcnow()
    doc = new_model_document(
        model_id=event.model_id, user_id=event.user_id, task_id=event.task_id,
        image_id=event.image_id, image_url=event.image_url, prompt=event.prompt,
        visibility=Visibility(settings.MODEL_DEFAULT_VISIBILITY), now=now,
        deadline=settings.MODEL_JOB_DEADLINE, default_format=settings.MODEL_DEFAULT_FORMAT)
    doc["traceparent"] = event.traceparent  # the worker's job continues this trace
    try:
        await deps.repo.insert(doc)
    except DuplicateKeyError:
        return await _existing_selection(event, deps)
    log.info("model_created", model_id=event.model_id, task_id=event.task_id)
    deps.wake_worker()
    return "created"


async def _existing_selection(event: ImageSelected, deps: Deps) -> str:
    existing = (await deps.repo.get(event.model_id, include_deleted=True)
                or await deps.repo.get_by_task(event.task_id))
    if existing is None:  # the conflicting document vanished meanwhile: let the bus retry
        raise RuntimeError("model insert conflicted with a document that no longer exists")
    if (not is_retry_request(event) or existing["_id"] != event.model_id
            or existing.get("deleted_at") is not None
            or existing["user_id"] != event.user_id):
        return "duplicate"
    now = utcnow()
    changed = await deps.repo.change(
        event.model_id, lambda d: transitions.rerun(
            d, image_id=event.image_id, image_url=event.image_url, now=now,
            deadline=deps.settings.MODEL_JOB_DEADLINE),
        where={"job.status": JobStatus.FAILED.value})
    if changed is None:
        return "duplicate"
    log.info("model_rerun", model_id=event.model_id, task_id=event.task_id)
    deps.wake_worker()
    return "rerun"


async def _remove(model_id: str, deps: Deps, where: dict[str, Any] | None = None) -> dict | None:
    doc = await deps.repo.change(model_id, lambda d: transitions.deleted(d, now=utcnow()),
                                 where=where)
    if doc is None:
        return None
    try:
        await deps.storage.delete_prefix(f"models/{model_id}/")
        await deps.repo.mark_files_deleted(
            model_id, purge_time(utcnow(), deps.settings.MODEL_TOMBSTONE_TTL))
    except Exception as exc:  # the worker's sweeper retries files of deleted models
        log.warning("model_files_delete_failed", model_id=model_id, error=str(exc))
    log.info("model_deleted", model_id=model_id)
    return doc


async def remove_task_model(event: TaskDeleted, deps: Deps) -> None:
    """TaskDeleted: delete the task's model and files. When the model does not exist yet
    (its ImageSelected is still queued) leave a tombstone so it never will."""
    doc = await deps.repo.get_by_task(event.task_id)
    if doc is None and event.model_id:
        doc = await deps.repo.get(event.model_id, include_deleted=True)
    if doc is not None:
        if doc.get("deleted_at") is None:
            await _remove(doc["_id"], deps)
        return
    if not event.model_id or not MODEL_ID.match(event.model_id):
        return
    tombstone = tombstone_document(model_id=event.model_id, user_id=event.user_id,
                                   task_id=event.task_id, now=utcnow(),
                                   ttl=deps.settings.MODEL_TOMBSTONE_TTL)
    try:
        await deps.repo.insert(tombstone)
    except DuplicateKeyError:  # the model was created meanwhile: delete it
        await remove_task_model(event, deps)


async def list_models(user_id: str, deps: Deps, *, visibility: Visibility | None,
                      sort: SortBy, limit: int, offset: int) -> dict[str, Any]:
    docs = await deps.repo.list_for_user(user_id, visibility=visibility, sort=sort,
                                         limit=limit, offset=offset)
    total = await deps.repo.count(user_id, visibility)
    if visibility is None:
        public = await deps.repo.count(user_id, Visibility.PUBLIC)
    else:
        public = total if visibility == Visibility.PUBLIC else 0
    items = [public_model(d) for d in docs]
    return {"items": items, "total": total, "publicCount": public,
            "hasMore": offset + len(items) < total}


async def edit_model(user_id: str, model_id: str, changes: dict[str, Any],
                     deps: Deps) -> dict[str, Any]:
    """`changes` holds only name/description, already validated."""
    def build(doc: dict[str, Any]) -> transitions.Change | None:
        diff = {k: v for k, v in changes.items() if doc.get(k) != v}
        return transitions.edited(doc, changes=diff, now=utcnow()) if diff else None

    doc = await deps.repo.change(model_id, build, where={"user_id": user_id})
    if doc is None:
        raise ModelNotFound()
    return public_model(doc)


async def change_visibility(user_id: str, model_id: str, visibility: Visibility,
                            deps: Deps) -> dict[str, Any]:
    """Turning a finished public model private moves its files to a new key first, so the
    URLs that were public stop working; see `files`."""
    current = await deps.repo.get(model_id)
    if current is None or current["user_id"] != user_id:
        raise ModelNotFound()
    rekeyed = None
    if (visibility == Visibility.PRIVATE and current["visibility"] == Visibility.PUBLIC
            and is_completed(current)):
        rekeyed = await copy_to_new_key(current, deps.storage)

    def build(doc: dict[str, Any]) -> transitions.Change | None:
        if visibility == Visibility.PUBLIC and not is_completed(doc):
            raise ModelNotCompleted()
        if doc["visibility"] == visibility:
            return None
        if rekeyed is not None and doc.get("file_key") != current.get("file_key"):
            raise Conflict("The model is being changed concurrently, try again")
        return transitions.visibility_changed(doc, visibility=visibility, now=utcnow(),
                                              rekeyed=rekeyed)

    try:
        doc = await deps.repo.change(model_id, build, where={"user_id": user_id})
    except BaseException:
        if rekeyed is not None:
            await delete_keys(deps.storage, rekeyed.new_keys)
        raise
    if doc is None:
        raise ModelNotFound()
    if rekeyed is not None:
        applied = doc.get("file_key") == rekeyed.file_key
        await _drop_copies(model_id, doc, rekeyed.old_keys if applied else rekeyed.new_keys, deps)
    return public_model(doc)


async def _drop_copies(model_id: str, doc: dict[str, Any], keys: list[str], deps: Deps) -> None:
    try:
        await delete_keys(deps.storage, keys)
    except Exception as exc:  # stale_files keeps them for the worker's sweep
        log.warning("model_files_delete_failed", model_id=model_id, error=str(exc))
        return
    if keys and set(keys) == set(doc.get("stale_files", [])):
        await deps.repo.forget_stale_files(model_id, doc["stale_files"])


async def delete_model(user_id: str, model_id: str, deps: Deps) -> None:
    if await _remove(model_id, deps, where={"user_id": user_id}) is None:
        raise ModelNotFound()


async def model_of_task(task_id: str, deps: Deps) -> dict[str, Any]:
    """Modeling's truth about a task's model (internal): its current state as an event."""
    doc = await deps.repo.get_by_task(task_id)
    if doc is None:
        raise ModelNotFound()
    event = transitions.present(doc)
    return {"routingKey": event.routing_key, "event": event.model_dump(mode="json")}


async def user_stats(user_id: str, deps: Deps) -> dict[str, int]:
    total = await deps.repo.count(user_id)
    public = await deps.repo.count(user_id, Visibility.PUBLIC)
    return {"totalModels": total, "publicModels": public, "privateModels": total - public}
