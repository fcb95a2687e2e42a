"""What printing learns from other services' events: tasks and their owners, models and
their files (projections), and deletions, which cancel active jobs and remove G-code."""

from typing import Any

import structlog

from lumi_shared.contracts import (
    ImageSelected,
    ModelDeleted,
    ModelFailed,
    ModelReady,
    ModelUpdated,
    TaskCreated,
    TaskDeleted,
)

from ..deps import Deps
from ..domain import ACTIVE_PRINT, print_failed, slice_removed
from ..printers.base import PrinterUnavailable

log = structlog.get_logger("printing.events")
MODEL_DELETED = "The 3D model was deleted"
TASK_DELETED = "The task was deleted"


async def task_created(deps: Deps, event: TaskCreated) -> None:
    await deps.repo.project(deps.repo.tasks, event.task_id, 0, {"userId": event.user_id})


async def image_selected(deps: Deps, event: ImageSelected) -> None:
    await deps.repo.project(deps.repo.models, event.model_id, 0, {
        "userId": event.user_id, "taskId": event.task_id, "status": "GENERATING"})


async def model_ready(deps: Deps, event: ModelReady) -> None:
    f = event.files
    await deps.repo.project(deps.repo.models, event.model_id, event.version, {
        "userId": event.user_id, "taskId": event.task_id, "status": "READY", "name": event.name,
        "visibility": event.visibility, "format": f.format, "modelUrl": f.model_url,
        "stlUrl": f.stl_url, "objUrl": f.obj_url, "glbUrl": f.glb_url})


async def model_failed(deps: Deps, event: ModelFailed) -> None:
    await deps.repo.project(deps.repo.models, event.model_id, event.version, {
        "userId": event.user_id, "taskId": event.task_id, "status": "FAILED"})


async def model_updated(deps: Deps, event: ModelUpdated) -> None:
    current = await deps.repo.model(event.model_id)
    if current is None:
        return
    fields = {"name": event.name, "visibility": event.visibility}
    if (f := event.files) is not None:  # moved to new URLs (turned private)
        fields.update({"modelUrl": f.model_url, "stlUrl": f.stl_url, "objUrl": f.obj_url,
                       "glbUrl": f.glb_url})
    await deps.repo.project(deps.repo.models, event.model_id, event.version, fields)


async def _cancel_job(deps: Deps, job: dict[str, Any], message: str) -> None:
    mutation = await deps.repo.jobs.mutate({"_id": job["_id"]}, print_failed(message))
    device = deps.registry.get(job["deviceName"])
    if mutation and mutation.changed and job["status"] == "PRINTING" and device:
        try:
            await deps.registry.adapter(device).cancel()
        except PrinterUnavailable as exc:  # the job is FAILED either way; the printer may idle
            log.warning("printer_cancel_failed", printer=job["deviceName"], error=str(exc))


async def remove_model(deps: Deps, model_id: str, message: str, version: int | None) -> None:
    jobs = await deps.repo.find(deps.repo.jobs, {"modelId": model_id,
                                                 "status": {"$in": list(ACTIVE_PRINT)}}, limit=100)
    for job in jobs:
        await _cancel_job(deps, job, message)
    for job in await deps.repo.find(deps.repo.slices, {"modelId": model_id}, limit=1000):
        await deps.repo.slices.mutate({"_id": job["_id"]}, slice_removed)
    removed = await deps.storage.delete_prefix(f"gcode/{model_id}/")
    if version is not None:
        await deps.repo.project(deps.repo.models, model_id, version, {"status": "DELETED"})
    log.info("model_gcode_removed", model_id=model_id, files=removed, cancelled=len(jobs))


async def model_deleted(deps: Deps, event: ModelDeleted) -> None:
    await remove_model(deps, event.model_id, MODEL_DELETED, event.version)


async def task_deleted(deps: Deps, event: TaskDeleted) -> None:
    await deps.repo.project(deps.repo.tasks, event.task_id, 1, {"userId": event.user_id,
                                                                "deleted": True})
    model = await deps.repo.model_of_task(event.task_id)
    model_id = event.model_id or (model or {}).get("_id")
    if model_id:
        await remove_model(deps, model_id, TASK_DELETED, int((model or {}).get("version", 0)) + 1)
