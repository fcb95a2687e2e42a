"""The task's model and print summaries, kept current from modeling's and printing's events.

Model events carry `version`: anything not newer than the stored version is a stale or
duplicate delivery and is dropped, and a COMPLETED task never goes back.
"""

from collections.abc import Callable
from datetime import datetime
from typing import Any

from lumi_shared.aggregate import Change, Transition
from lumi_shared.contracts import (
    Event,
    ModelDeleted,
    ModelFailed,
    ModelGenerating,
    ModelProgressed,
    ModelReady,
    ModelUpdated,
    PrintStatusChanged,
    PrintSubmitted,
    SliceStatusChanged,
    TaskFailed,
)
from lumi_shared.timeutil import as_utc

from .enums import MODEL_ACTIVE_STATUSES, JobStatus, RequestPhase, RequestStatus

MODEL_DELETED = "The 3D model was deleted"


def _newer_model(doc: dict[str, Any], model_id: str, version: int) -> dict[str, Any] | None:
    model = doc.get("model")
    if model is None or model["id"] != model_id or version <= int(model.get("version", 0)):
        return None
    return model


def model_progress(event: ModelGenerating | ModelProgressed):
    def apply(doc: dict[str, Any], now: datetime) -> Change | None:
        model = _newer_model(doc, event.model_id, event.version)
        if model is None or doc["status"] not in MODEL_ACTIVE_STATUSES:
            return None
        progress = model["generationJob"].get("progress", 0)
        status = JobStatus.RUNNING
        if isinstance(event, ModelProgressed):
            progress = max(0, min(100, int(event.progress)))
            if event.status.upper() == JobStatus.RETRYING:
                status = JobStatus.RETRYING
        return Change({"status": RequestStatus.MODEL_GENERATING, "model.version": event.version,
                       "model.generationJob": {"status": status, "progress": progress}})

    return apply


def model_ready(event: ModelReady):
    def apply(doc: dict[str, Any], now: datetime) -> Change | None:
        model = _newer_model(doc, event.model_id, event.version)
        allowed = (*MODEL_ACTIVE_STATUSES, RequestStatus.MODEL_FAILED)
        if model is None or doc["status"] not in allowed:
            return None
        files = event.files
        summary = {**model, "name": event.name, "visibility": event.visibility,
                   "modelUrl": files.model_url, "format": files.format,
                   "glbUrl": files.glb_url, "objUrl": files.obj_url, "mtlUrl": files.mtl_url,
                   "textureUrl": files.texture_url, "stlUrl": files.stl_url,
                   "previewImageUrl": files.preview_image_url or model.get("previewImageUrl"),
                   "fileSize": files.file_size, "createdAt": event.created_at,
                   "completedAt": event.completed_at, "publishedAt": event.published_at,
                   "failedAt": None, "errorMessage": None, "version": event.version,
                   "generationJob": {"status": JobStatus.COMPLETED, "progress": 100}}
        return Change({"model": summary, "status": RequestStatus.COMPLETED,
                       "phase": RequestPhase.COMPLETED, "completedAt": event.completed_at,
                       "errorMessage": None})

    return apply


def model_failed(event: ModelFailed):
    def apply(doc: dict[str, Any], now: datetime) -> Change | None:
        model = _newer_model(doc, event.model_id, event.version)
        if model is None:
            return None
        fields = {"model.version": event.version, "model.failedAt": now,
                  "model.errorMessage": event.error_message,
                  "model.generationJob": {"status": JobStatus.FAILED,
                                          "progress": model["generationJob"].get("progress", 0)}}
        if doc["status"] == RequestStatus.MODEL_FAILED:
            return Change(fields)
        if doc["status"] not in MODEL_ACTIVE_STATUSES:
            return None
        return _task_model_failed(doc, event.error_message, fields)

    return apply


def _task_model_failed(doc: dict[str, Any], message: str, fields: dict[str, Any]) -> Change:
    fields.update(status=RequestStatus.MODEL_FAILED, phase=RequestPhase.MODEL_GENERATION,
                  errorMessage=message)
    event = TaskFailed(task_id=doc["_id"], user_id=doc["userId"], error_message=message,
                       status=RequestStatus.MODEL_FAILED)
    return Change(fields, [event])


def expire_model(stall_cutoff: datetime, message: str):
    """Sweeper: a model that never answered within the stall timeout is reported failed."""
    def apply(doc: dict[str, Any], now: datetime) -> Change | None:
        model = doc.get("model")
        if (model is None or doc["status"] not in MODEL_ACTIVE_STATUSES
                or doc["updatedAt"] >= stall_cutoff):
            return None
        fields = {"model.failedAt": now, "model.errorMessage": message,
                  "model.generationJob": {"status": JobStatus.TIMEOUT,
                                          "progress": model["generationJob"].get("progress", 0)}}
        return _task_model_failed(doc, message, fields)

    return apply


def reconciled(truth: Event):
    """Sweeper: the task view rebuilt from modeling's present state, through the same guarded
    transitions as its events (a newer version only; a COMPLETED task never goes back)."""
    return PROJECTIONS[type(truth)](truth)


def model_updated(event: ModelUpdated):
    def apply(doc: dict[str, Any], now: datetime) -> Change | None:
        if _newer_model(doc, event.model_id, event.version) is None:
            return None
        fields = {"model.name": event.name, "model.visibility": event.visibility,
                  "model.publishedAt": event.published_at, "model.version": event.version}
        if (files := event.files) is not None:  # moved to new URLs (turned private)
            fields.update({"model.modelUrl": files.model_url, "model.glbUrl": files.glb_url,
                           "model.objUrl": files.obj_url, "model.mtlUrl": files.mtl_url,
                           "model.textureUrl": files.texture_url, "model.stlUrl": files.stl_url,
                           "model.previewImageUrl": files.preview_image_url
                           or doc["model"].get("previewImageUrl")})
        return Change(fields)

    return apply


def model_deleted(event: ModelDeleted):
    def apply(doc: dict[str, Any], now: datetime) -> Change | None:
        model = doc.get("model")
        if model is None or model["id"] != event.model_id:
            return None
        if doc["status"] in MODEL_ACTIVE_STATUSES:
            return _task_model_failed(doc, MODEL_DELETED, {"model": None})
        return Change({"model": None})

    return apply


def print_submitted(event: PrintSubmitted):
    def apply(doc: dict[str, Any], now: datetime) -> Change | None:
        current = doc.get("print")
        if current is not None and (current["id"] == event.print_job_id
                                    or as_utc(current["occurredAt"]) >= event.occurred_at):
            return None
        return Change({"print": {"id": event.print_job_id, "printJobId": event.print_job_id,
                                 "modelId": event.model_id, "status": "NOT_STARTED",
                                 "progress": 0, "errorMessage": None, "version": 0,
                                 "submittedAt": now, "updatedAt": now,
                                 "occurredAt": event.occurred_at}})

    return apply


def print_status_changed(event: PrintStatusChanged):
    def apply(doc: dict[str, Any], now: datetime) -> Change | None:
        current = doc.get("print")
        if current is not None:
            seen = as_utc(current["occurredAt"])
            if current["id"] == event.print_job_id:
                stale = (event.version <= current["version"] if event.version or current["version"]
                         else event.occurred_at < seen)
            else:
                stale = event.occurred_at <= seen
            if stale:
                return None
        base = current if current and current["id"] == event.print_job_id else {
            "id": event.print_job_id, "printJobId": event.print_job_id, "submittedAt": now}
        return Change({"print": {**base, "modelId": event.model_id, "status": event.status,
                                 "progress": max(0, min(100, event.progress)),
                                 "errorMessage": event.error_message, "version": event.version,
                                 "updatedAt": now, "occurredAt": event.occurred_at}})

    return apply


def slice_status_changed(event: SliceStatusChanged):
    """The task model's slicing job (sliceTaskId, sliceStatus, gcodeUrl); a job's own changes
    are ordered by its version, different jobs by when printing emitted them."""
    def apply(doc: dict[str, Any], now: datetime) -> Change | None:
        model = doc.get("model")
        if model is None or model["id"] != event.model_id:
            return None
        current = doc.get("slice")
        if current is not None and (
                event.version <= current["version"] if current["id"] == event.slice_task_id
                else event.occurred_at <= as_utc(current["occurredAt"])):
            return None
        return Change({"slice": {"id": event.slice_task_id, "status": event.status,
                                 "gcodeUrl": event.gcode_url, "version": event.version,
                                 "errorMessage": event.error_message,
                                 "occurredAt": event.occurred_at}})

    return apply


# The task view's transition for each event of another service: generation's consumers
# subscribe to every one of them, the sweeper rebuilds a silent task through the model ones.
PROJECTIONS: dict[type[Event], Callable[[Any], Transition]] = {
    ModelGenerating: model_progress, ModelProgressed: model_progress, ModelReady: model_ready,
    ModelFailed: model_failed, ModelUpdated: model_updated, ModelDeleted: model_deleted,
    PrintSubmitted: print_submitted, PrintStatusChanged: print_status_changed,
    SliceStatusChanged: slice_status_changed,
}
