"""Every change of a model, as a pure function `doc -> Change` (`lumi_shared.aggregate`).

Each change sets `version` to `doc.version + 1`; the repository's `AggregateStore` writes it
guarded by the revision the change was built from, so the version carried by the event is
exactly the stored one and consumers can drop stale deliveries.
"""

from datetime import datetime, timedelta
from typing import Any

from lumi_shared.aggregate import Change
from lumi_shared.contracts import (
    Event,
    ModelDeleted,
    ModelFailed,
    ModelFiles,
    ModelGenerating,
    ModelProgressed,
    ModelReady,
    ModelUpdated,
)

from ..files import Rekeyed, files_of
from .model import JobStatus, Visibility, fresh_job


def _versioned(doc: dict[str, Any], now: datetime, fields: dict[str, Any],
               inc: dict[str, int] | None = None) -> tuple[Change, int]:
    version = doc["version"] + 1
    return Change({**fields, "version": version, "updated_at": now}, inc=inc or {}), version


def _with(change: Change, *events: Event) -> Change:
    change.events.extend(events)
    return change


def _ids(doc: dict[str, Any]) -> dict[str, Any]:
    return {"model_id": doc["_id"], "task_id": doc["task_id"], "user_id": doc["user_id"]}


def claim(doc: dict[str, Any], *, token: str, now: datetime, lease: float) -> Change:
    change, _ = _versioned(doc, now, {
        "job.status": JobStatus.RUNNING.value, "job.lease_token": token,
        "job.lease_until": now + timedelta(seconds=lease), "job.started_at": now,
        "job.progress": 0}, inc={"job.attempts": 1})
    return change


def release(doc: dict[str, Any], *, now: datetime) -> Change:
    """Graceful shutdown: hand the job back without counting the interrupted attempt."""
    change, _ = _versioned(doc, now, {
        "job.status": JobStatus.PENDING.value, "job.lease_token": None,
        "job.lease_until": None, "job.next_run_at": now}, inc={"job.attempts": -1})
    return change


def submitted(doc: dict[str, Any], *, provider_job_id: str, now: datetime) -> Change:
    change, version = _versioned(doc, now, {"job.provider_job_id": provider_job_id})
    return _with(change, ModelGenerating(**_ids(doc), version=version,
                                    provider_job_id=provider_job_id))


def progressed(doc: dict[str, Any], *, progress: int, status: str, now: datetime) -> Change:
    progress = max(0, min(100, int(progress)))
    change, version = _versioned(doc, now, {"job.progress": progress})
    return _with(change, ModelProgressed(**_ids(doc), version=version, progress=progress,
                                    status=status))


def ready(doc: dict[str, Any], *, files: ModelFiles, now: datetime) -> Change:
    fields = {
        "model_url": files.model_url, "format": files.format, "glb_url": files.glb_url,
        "obj_url": files.obj_url, "mtl_url": files.mtl_url, "texture_url": files.texture_url,
        "stl_url": files.stl_url, "file_size": files.file_size,
        "face_count": files.face_count, "vertex_count": files.vertex_count,
        "completed_at": now, "failed_at": None, "error_message": None,
        "job.status": JobStatus.COMPLETED.value, "job.progress": 100,
        "job.lease_token": None, "job.lease_until": None, "job.error_message": None,
    }
    if files.preview_image_url:
        fields["preview_image_url"] = files.preview_image_url
    change, version = _versioned(doc, now, fields)
    event = ModelReady(**_ids(doc), version=version, name=doc["name"],
                       visibility=doc["visibility"], files=files, created_at=doc["created_at"],
                       completed_at=now, published_at=doc.get("published_at"))
    return _with(change, event)


def failed(doc: dict[str, Any], *, message: str, now: datetime) -> Change:
    change, version = _versioned(doc, now, {
        "failed_at": now, "error_message": message, "job.status": JobStatus.FAILED.value,
        "job.error_message": message, "job.lease_token": None, "job.lease_until": None})
    return _with(change, ModelFailed(**_ids(doc), version=version, error_message=message))


def retry_later(doc: dict[str, Any], *, message: str, now: datetime, delay: float) -> Change:
    change, version = _versioned(doc, now, {
        "job.status": JobStatus.RETRYING.value, "job.error_message": message,
        "job.next_run_at": now + timedelta(seconds=delay), "job.progress": 0,
        "job.provider_job_id": None, "job.lease_token": None, "job.lease_until": None})
    return _with(change, ModelProgressed(**_ids(doc), version=version, progress=0,
                                    status=JobStatus.RETRYING.value))


def rerun(doc: dict[str, Any], *, image_id: str, image_url: str, now: datetime,
          deadline: float) -> Change:
    """A FAILED model asked to run again (ImageSelected with a retry marker)."""
    change, _ = _versioned(doc, now, {
        "job": fresh_job(now, deadline), "failed_at": None, "error_message": None,
        "source_image_id": image_id, "source_image_url": image_url})
    return change


def _updated_event(doc: dict[str, Any], version: int, **values: Any) -> ModelUpdated:
    current = {k: doc.get(k) for k in ("name", "description", "visibility", "published_at")}
    current.update(values)
    return ModelUpdated(**_ids(doc), version=version, **current)


def edited(doc: dict[str, Any], *, changes: dict[str, Any], now: datetime) -> Change:
    change, version = _versioned(doc, now, dict(changes))
    return _with(change, _updated_event(doc, version, **changes))


def visibility_changed(doc: dict[str, Any], *, visibility: Visibility, now: datetime,
                       rekeyed: Rekeyed | None = None) -> Change:
    """`rekeyed`: the files were copied under a new key; the old copies become stale (deleted
    right after this write, else by the worker's sweep) and the event carries the new URLs."""
    published_at = now if visibility == Visibility.PUBLIC else None
    changes = {"visibility": visibility.value, "published_at": published_at}
    files = {}
    if rekeyed is not None:
        files = {"file_key": rekeyed.file_key, **rekeyed.urls,
                 "stale_files": [*doc.get("stale_files", []), *rekeyed.old_keys]}
    change, version = _versioned(doc, now, {**changes, **files})
    event = _updated_event(doc, version, **changes)
    if rekeyed is not None:
        event = event.model_copy(update={"files": files_of({**doc, **rekeyed.urls})})
    return _with(change, event)


def deleted(doc: dict[str, Any], *, now: datetime) -> Change:
    change, version = _versioned(doc, now, {
        "deleted_at": now, "files_deleted": False, "job.lease_token": None,
        "job.lease_until": None})
    return _with(change, ModelDeleted(**_ids(doc), version=version))


def present(doc: dict[str, Any]) -> Event:
    """The model's current state as the event that announced it, at its current version: what
    generation rebuilds its task view from after a crash (`GET /internal/tasks/{id}/model`)."""
    ids, version = _ids(doc), doc["version"]
    if doc.get("deleted_at") is not None:
        return ModelDeleted(**ids, version=version)
    job = doc["job"]
    if job["status"] == JobStatus.COMPLETED and doc.get("model_url"):
        return ModelReady(**ids, version=version, name=doc["name"],
                          visibility=doc["visibility"], files=files_of(doc),
                          created_at=doc["created_at"], completed_at=doc["completed_at"],
                          published_at=doc.get("published_at"))
    if job["status"] == JobStatus.FAILED:
        return ModelFailed(**ids, version=version,
                           error_message=doc.get("error_message") or "3D model generation failed")
    return ModelProgressed(**ids, version=version, progress=int(job.get("progress") or 0),
                           status=job["status"])
