"""Print jobs: submitted for a task's model (slice first) or sent straight to a printer."""

from typing import Any

from pymongo.errors import DuplicateKeyError

from lumi_shared.contracts import PrintSubmitted
from lumi_shared.errors import Conflict, InvalidState, NotFound
from lumi_shared.timeutil import iso

from ..deps import Deps
from ..domain import ACTIVE_PRINT, SLICE_PROGRESS, PrintStatus, SliceStatus, new_id, print_event
from .printers import owned_printer, printer_summary
from .slices import ensure_slice, visible_model

TASK_NOT_FOUND = "Task not found"


async def _task_model(deps: Deps, user_id: str, task_id: str) -> dict[str, Any] | None:
    task = await deps.repo.task(task_id)
    model = await deps.repo.model_of_task(task_id)
    owner = (task or model or {}).get("userId")
    if owner != user_id or (task and task.get("deleted")):
        raise NotFound(TASK_NOT_FOUND)
    return model if model and model.get("status") != "DELETED" else None


async def pick_printer(deps: Deps, user_id: str, printer_id: str | None) -> dict[str, Any]:
    if printer_id:
        return await owned_printer(deps, user_id, printer_id)
    bound = await deps.repo.find(deps.repo.printers, {"userId": user_id}, limit=1,
                                 sort=[("boundAt", -1)])
    if bound:
        return bound[0]
    default = deps.settings.DEFAULT_PRINTER
    if default and deps.registry.get(default):
        return {"_id": default, "deviceName": default, "userId": None}
    raise InvalidState("No printer is available: bind a printer first")


async def _create_job(deps: Deps, *, user_id: str, model: dict[str, Any] | None,
                      printer: dict[str, Any], task_id: str | None, name: str,
                      slice_job: dict[str, Any] | None, gcode_url: str | None) -> dict[str, Any]:
    active = await deps.repo.count(deps.repo.jobs, {"userId": user_id,
                                                    "status": {"$in": list(ACTIVE_PRINT)}})
    if active >= deps.settings.JOBS_MAX_ACTIVE_PER_USER:
        raise Conflict("Too many active print jobs; wait for one to finish")
    now = deps.clock()
    sliced = slice_job is None or slice_job["status"] == SliceStatus.COMPLETED
    doc = {"_id": new_id("print"), "taskId": task_id, "userId": user_id,
           "modelId": model["_id"] if model else None, "printerId": printer["_id"],
           "deviceName": printer["deviceName"], "name": name,
           "sliceTaskId": slice_job["_id"] if slice_job else None,
           "gcodeUrl": (slice_job or {}).get("gcodeUrl") or gcode_url,
           "status": (PrintStatus.SLICE_COMPLETE if sliced else PrintStatus.SLICING).value,
           "activeKey": task_id or f"printer:{printer['_id']}:{new_id('k')}",
           "version": 1, "printProgress": 0, "layer": None, "layerCount": None,
           "timeRemaining": None, "errorMessage": None, "remoteJobId": None, "attempts": 0,
           "leaseToken": None, "leaseUntil": None, "printerSeenAt": None,
           "createdAt": now, "updatedAt": now}
    events = []
    if task_id and model:
        events = [PrintSubmitted(task_id=task_id, user_id=user_id, model_id=model["_id"],
                                 print_job_id=doc["_id"]), print_event(doc, {})]
    try:
        await deps.repo.jobs.insert(doc, *events)
    except DuplicateKeyError:
        raise Conflict("A print job is already running for this task") from None
    deps.wake_printer()
    return doc


async def submit_task_print(deps: Deps, user_id: str, task_id: str,
                            printer_id: str | None) -> dict[str, Any]:
    model = await _task_model(deps, user_id, task_id)
    if model is None:
        raise NotFound("No 3D model for this task")
    if model.get("status") != "READY":
        raise InvalidState("The 3D model is not finished yet")
    latest = await deps.repo.latest_job(task_id)
    if latest and latest["status"] in ACTIVE_PRINT:
        raise Conflict("A print job is already running for this task")
    printer = await pick_printer(deps, user_id, printer_id)
    slice_job, _ = await ensure_slice(deps, model)
    job = await _create_job(deps, user_id=user_id, model=model, printer=printer, task_id=task_id,
                            name=model.get("name") or task_id, slice_job=slice_job, gcode_url=None)
    return {"requestId": task_id, "modelId": model["_id"], "sliceTaskId": slice_job["_id"],
            "printJobId": job["_id"], "printStatus": job["status"],
            "printerId": printer["_id"], "message": "Print job submitted"}


async def submit_printer_job(deps: Deps, user_id: str, printer_id: str, *,
                             model_id: str | None, name: str | None,
                             gcode_url: str | None) -> dict[str, Any]:
    printer = await owned_printer(deps, user_id, printer_id)
    model = slice_job = None
    if model_id:
        model = await visible_model(deps, model_id, user_id)
        slice_job, _ = await ensure_slice(deps, model)
    return await _create_job(deps, user_id=user_id, model=model, printer=printer, task_id=None,
                             name=name or (model or {}).get("name") or "print.gcode",
                             slice_job=slice_job, gcode_url=gcode_url)


async def print_status(deps: Deps, user_id: str, task_id: str) -> dict[str, Any]:
    model = await _task_model(deps, user_id, task_id)
    job = await deps.repo.latest_job(task_id)
    base = {"requestId": task_id, "modelId": model["_id"] if model else None}
    if job is None:
        return {**base, "hasPrintTask": False, "sliceTaskId": None,
                "printStatus": PrintStatus.NOT_STARTED.value, "sliceProgress": 0,
                "printProgress": 0, "printer": None, "errorMessage": None,
                "message": "No print job submitted yet"}
    status = PrintStatus(job["status"])
    slice_job = await deps.repo.slices.find_one({"_id": job["sliceTaskId"]}) if job.get(
        "sliceTaskId") else None
    slice_progress = SLICE_PROGRESS[status]
    if status == PrintStatus.FAILED and slice_job and slice_job["status"] == SliceStatus.COMPLETED:
        slice_progress = 100
    printer = await deps.repo.printers.find_one({"_id": job["printerId"]})
    return {**base, "modelId": job["modelId"], "hasPrintTask": True, "printJobId": job["_id"],
            "sliceTaskId": job.get("sliceTaskId"), "printStatus": status.value,
            "sliceStatus": slice_job["status"] if slice_job else None,
            "gcodeUrl": job.get("gcodeUrl"), "sliceProgress": slice_progress,
            "printProgress": int(job.get("printProgress", 0)),
            "printer": printer_summary(printer, job), "currentLayer": job.get("layer"),
            "layerCount": job.get("layerCount"), "timeRemaining": job.get("timeRemaining"),
            "errorMessage": job.get("errorMessage"), "createdAt": iso(job.get("createdAt")),
            "updatedAt": iso(job.get("updatedAt"))}
