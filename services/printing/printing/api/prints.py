"""Slicing and printing a task's model: /api/slices, /api/tasks/{id}/print[-status]."""

from typing import Annotated

from fastapi import APIRouter, Path, Response
from pydantic import BaseModel, ConfigDict

from lumi_shared.identity import CurrentUser
from lumi_shared.openapi import JSend, errors
from lumi_shared.responses import ok_json

from ..service import prints, slices
from .deps import DepsDep, Id
from .schemas import PrintStatus, PrintSubmitted, Slice, SliceCreated

router = APIRouter(tags=["printing"])
PathId = Annotated[str, Path(min_length=1, max_length=100)]


class SliceRequest(BaseModel):
    model_config = ConfigDict(extra="ignore")

    modelId: Id  # noqa: N815 - public field name


class PrintRequest(BaseModel):
    model_config = ConfigDict(extra="ignore")

    printerId: Id | None = None  # noqa: N815 - public field name


@router.post("/api/slices", status_code=201, response_model=JSend[SliceCreated], responses=errors(
    s404="No such model visible to the caller", s409="The 3D model is not finished yet"))
async def create_slice(body: SliceRequest, user: CurrentUser, deps: DepsDep) -> Response:
    """Slice a model the caller may see; the same model and profile are sliced once."""
    job = await slices.request_slice(deps, user.user_id, body.modelId)
    status = "PROCESSING" if job["status"] in ("PENDING", "PROCESSING") else job["status"]
    return ok_json({"modelId": job["modelId"], "sliceTaskId": job["_id"], "sliceStatus": status,
                    "gcodeUrl": job.get("gcodeUrl"), "message": "Slicing task created"},
                   status_code=201)


@router.get("/api/slices/{slice_id}", response_model=JSend[Slice],
            responses=errors(s404="No such slice task"))
async def get_slice(user: CurrentUser, deps: DepsDep, slice_id: PathId) -> Response:
    return ok_json(slices.slice_view(await slices.get_slice(deps, user.user_id, slice_id)))


@router.post("/api/tasks/{task_id}/print", response_model=JSend[PrintSubmitted], responses=errors(
    s404="No such task of the caller, no 3D model, or no such printer",
    s409="The model is not finished, no printer is bound, or a print job is already running"))
async def submit_print(task_id: PathId, user: CurrentUser, deps: DepsDep,
                       body: PrintRequest | None = None) -> Response:
    """Slice the task's model (once) and print it on the chosen or default printer."""
    printer_id = body.printerId if body else None
    return ok_json(await prints.submit_task_print(deps, user.user_id, task_id, printer_id))


@router.get("/api/tasks/{task_id}/print-status", response_model=JSend[PrintStatus],
            responses=errors(s404="No such task of the caller"))
async def print_status(user: CurrentUser, deps: DepsDep, task_id: PathId) -> Response:
    return ok_json(await prints.print_status(deps, user.user_id, task_id))
