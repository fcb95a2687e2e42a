"""Printers and devices (FY / mobile app shapes): bind, list, detail, status, unbind, jobs."""

from typing import Annotated

from fastapi import APIRouter, Path, Query, Response
from pydantic import BaseModel, ConfigDict, Field, HttpUrl, StringConstraints, model_validator

from lumi_shared.identity import CurrentUser
from lumi_shared.openapi import JSend, Message, errors
from lumi_shared.responses import ok_json
from lumi_shared.timeutil import iso

from ..service import printers, prints
from .deps import DepsDep, Id
from .schemas import Bound, JobStarted, OnePrinter, PrinterList, PrinterPage, PrinterStatus, Products

router = APIRouter(tags=["printers"])
PrinterId = Annotated[str, Path(min_length=1, max_length=100)]
Code = Annotated[str, StringConstraints(strip_whitespace=True, min_length=4, max_length=32)]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
OWN_PRINTER = errors(s404="No such printer bound to the caller")


class BindRequest(BaseModel):
    model_config = ConfigDict(extra="ignore")

    deviceName: Id  # noqa: N815
    code: Code


class BatchRequest(BaseModel):
    model_config = ConfigDict(extra="ignore")

    ids: list[Id] = Field(min_length=1, max_length=20)


def _one_source_schema(schema: dict) -> None:
    """Exactly one of gcodeUrl and modelId (the other absent or null)."""
    schema["anyOf"] = [
        {"required": ["gcodeUrl"], "properties": {"gcodeUrl": {"type": "string"},
                                                  "modelId": {"type": "null"}}},
        {"required": ["modelId"], "properties": {"modelId": {"type": "string"},
                                                 "gcodeUrl": {"type": "null"}}}]


class JobRequest(BaseModel):
    """FY's `{fileName, gcodeUrl}` or the mobile app's `{modelId, taskName}`."""

    model_config = ConfigDict(extra="ignore", json_schema_extra=_one_source_schema)

    fileName: Name | None = None  # noqa: N815
    gcodeUrl: Annotated[HttpUrl | None, Field(json_schema_extra={  # noqa: N815
        "pattern": "^[Hh][Tt][Tt][Pp][Ss]?://"})] = None
    modelId: Id | None = None  # noqa: N815
    taskName: Name | None = None  # noqa: N815

    @model_validator(mode="after")
    def _one_source(self) -> "JobRequest":
        if bool(self.gcodeUrl) == bool(self.modelId):
            raise ValueError("send either {fileName, gcodeUrl} or {modelId, taskName}")
        return self


@router.get("/api/devices/products", response_model=JSend[Products])
async def products(_: CurrentUser, deps: DepsDep, page: int = Query(0, ge=0),
                   size: int = Query(10, ge=1, le=100),
                   keyword: str | None = Query(None, max_length=100)) -> Response:
    items = deps.registry.products()
    if keyword:
        items = [p for p in items if keyword.lower() in (p["name"] + p["description"]).lower()]
    return ok_json({"products": items[page * size:(page + 1) * size], "total": len(items)})


@router.get("/api/printers", response_model=JSend[PrinterPage])
async def list_printers(user: CurrentUser, deps: DepsDep, page: int = Query(1, ge=1),
                        size: int = Query(10, ge=1, le=100),
                        includeStatus: bool = Query(True)) -> Response:  # noqa: N803
    return ok_json(await printers.list_printers(deps, user.user_id, page=page, size=size,
                                           include_status=includeStatus))


@router.post("/api/printers/batch", response_model=JSend[PrinterList])
async def batch(body: BatchRequest, user: CurrentUser, deps: DepsDep) -> Response:
    return ok_json(await printers.printers_batch(deps, user.user_id, list(dict.fromkeys(body.ids))))


@router.post("/api/printers", status_code=201, response_model=JSend[Bound], responses=errors(
    s400="Invalid body, or an unknown printer or wrong bind code (the code the printer shows)",
    s409="Bound to another account, or too many printers bound"))
async def bind(body: BindRequest, user: CurrentUser, deps: DepsDep) -> Response:
    doc = await printers.bind(deps, user.user_id, body.deviceName, body.code)
    view = await printers.printer_view(deps, doc, live=False)
    return ok_json({"message": "Printer bound", "printer": view}, status_code=201)


@router.get("/api/printers/{printer_id}", response_model=JSend[OnePrinter], responses=OWN_PRINTER)
async def detail(user: CurrentUser, deps: DepsDep, printer_id: PrinterId) -> Response:
    doc = await printers.owned_printer(deps, user.user_id, printer_id)
    return ok_json({"printer": await printers.printer_view(deps, doc)})


@router.get("/api/printers/{printer_id}/status", response_model=JSend[PrinterStatus],
            responses=OWN_PRINTER)
async def status(user: CurrentUser, deps: DepsDep, printer_id: PrinterId) -> Response:
    return ok_json(await printers.printer_status(deps, user.user_id, printer_id))


@router.delete("/api/printers/{printer_id}", response_model=JSend[Message], responses={
    **OWN_PRINTER, **errors(s409="The printer has an active print job")})
async def unbind(user: CurrentUser, deps: DepsDep, printer_id: PrinterId) -> Response:
    await printers.unbind(deps, user.user_id, printer_id)
    return ok_json({"message": "Printer unbound"})


@router.post("/api/printers/{printer_id}/jobs", status_code=201, response_model=JSend[JobStarted],
             responses=errors(s404="No such printer of the caller, or no such visible model",
                              s409="The model is not finished, or too many active print jobs"))
async def start_job(body: JobRequest, user: CurrentUser, deps: DepsDep,
                    printer_id: PrinterId) -> Response:
    job = await prints.submit_printer_job(
        deps, user.user_id, printer_id, model_id=body.modelId,
        name=body.taskName or body.fileName, gcode_url=str(body.gcodeUrl) if body.gcodeUrl else None)
    view = {"id": job["_id"], "name": job["name"], "status": "queued",
            "printStatus": job["status"], "sliceTaskId": job.get("sliceTaskId"),
            "createdAt": iso(job["createdAt"])}
    return ok_json({"job": view, "taskId": job["_id"]}, status_code=201)
