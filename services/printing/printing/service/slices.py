"""Slicing a model: one job per (model, printer profile), reused while it is active or done."""

from typing import Any

from pymongo.errors import DuplicateKeyError

from lumi_shared.errors import InvalidState, NotFound
from lumi_shared.timeutil import iso

from ..deps import Deps
from ..domain import SliceStatus, new_id, slice_event

MODEL_NOT_FOUND = "Model not found"


def visible(model: dict[str, Any] | None, user_id: str) -> bool:
    return (model is not None and model.get("status") != "DELETED"
            and (model["userId"] == user_id or model.get("visibility") == "PUBLIC"))


async def visible_model(deps: Deps, model_id: str, user_id: str) -> dict[str, Any]:
    model = await deps.repo.model(model_id)
    if not visible(model, user_id):
        raise NotFound(MODEL_NOT_FOUND)  # a private model of someone else does not exist
    assert model is not None
    if model.get("status") != "READY":
        raise InvalidState("The 3D model is not finished yet; it cannot be sliced")
    return model


async def ensure_slice(deps: Deps, model: dict[str, Any]) -> tuple[dict[str, Any], bool]:
    """The model's slice job for the configured profile; created when none is active or
    completed. Returns (job, created)."""
    key = f"{model['_id']}:{deps.profile.key}"
    existing = await deps.repo.slices.find_one({"activeKey": key})
    if existing:
        return existing, False
    now = deps.clock()
    doc = {"_id": new_id("slice"), "modelId": model["_id"], "userId": model["userId"],
           "taskId": model.get("taskId"), "profile": deps.profile.to_dict(),
           "activeKey": key, "status": SliceStatus.PENDING.value, "version": 1, "progress": 0,
           "gcodeKey": None, "gcodeUrl": None, "gcodeMetadata": None, "errorMessage": None,
           "slicer": None, "attempts": 0, "leaseToken": None, "leaseUntil": None,
           "createdAt": now, "updatedAt": now}
    try:
        await deps.repo.slices.insert(doc, slice_event(doc, {}))
    except DuplicateKeyError:
        again = await deps.repo.slices.find_one({"activeKey": key})
        if again is None:
            raise
        return again, False
    deps.wake_slicer()
    return doc, True


async def request_slice(deps: Deps, user_id: str, model_id: str) -> dict[str, Any]:
    model = await visible_model(deps, model_id, user_id)
    job, _ = await ensure_slice(deps, model)
    return job


async def get_slice(deps: Deps, user_id: str, slice_id: str) -> dict[str, Any]:
    job = await deps.repo.slices.find_one({"_id": slice_id})
    if job is None or not visible(await deps.repo.model(job["modelId"]), user_id):
        raise NotFound("Slice task not found")
    return job


def slice_view(job: dict[str, Any]) -> dict[str, Any]:
    status = job["status"]
    return {"sliceTaskId": job["_id"], "modelId": job["modelId"], "sliceStatus": status,
            "progress": 100 if status == SliceStatus.COMPLETED else int(job.get("progress", 0)),
            "gcodeUrl": job.get("gcodeUrl"), "gcodeMetadata": job.get("gcodeMetadata"),
            "slicer": job.get("slicer"), "errorMessage": job.get("errorMessage"),
            "createdAt": iso(job.get("createdAt")), "updatedAt": iso(job.get("updatedAt"))}
