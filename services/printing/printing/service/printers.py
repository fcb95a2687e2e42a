"""Printers a user bound (FY/mobile shapes) and their live status.

Status is derived, never assumed: the adapter is asked (bounded by a timeout); a printer
that has not answered for PRINTER_OFFLINE_AFTER seconds is OFFLINE; PAUSED and ERROR come
from the printer's own state.
"""

import asyncio
from datetime import timedelta
from typing import Any

from pymongo.errors import DuplicateKeyError

from lumi_shared.aggregate import Change
from lumi_shared.errors import Conflict, NotFound, ValidationFailed
from lumi_shared.timeutil import iso

from ..deps import Deps
from ..domain import ACTIVE_PRINT
from ..printers.base import PrinterState, PrinterUnavailable

PRINTER_NOT_FOUND = "Printer not found"
STATE_TO_STATUS = {"PRINTING": "PRINTING", "HEATING": "PRINTING", "PAUSED": "PAUSED",
                   "ERROR": "ERROR"}


async def owned_printer(deps: Deps, user_id: str, printer_id: str) -> dict[str, Any]:
    printer = await deps.repo.printers.find_one({"_id": printer_id})
    if printer is None or printer.get("userId") != user_id:
        raise NotFound(PRINTER_NOT_FOUND)
    return printer


async def bind(deps: Deps, user_id: str, device_name: str, code: str) -> dict[str, Any]:
    device = deps.registry.get(device_name)
    if device is None or not deps.registry.check_code(device_name, code):
        raise ValidationFailed("Unknown printer or wrong bind code")
    count = await deps.repo.count(deps.repo.printers, {"userId": user_id})
    now = deps.clock()

    def take(doc: dict[str, Any], _now: Any) -> Change | None:
        if doc.get("userId") == user_id:
            return None
        if doc.get("userId"):
            raise Conflict("The printer is bound to another account")
        return Change({"userId": user_id, "boundAt": now})

    existing = await deps.repo.printers.mutate({"_id": device_name}, take)
    if existing is None:
        if count >= deps.settings.PRINTERS_MAX_PER_USER:
            raise Conflict("Too many printers bound to this account")
        doc = {"_id": device_name, "deviceName": device_name, "name": device_name,
               "model": device.model, "kind": device.kind, "userId": user_id, "boundAt": now,
               "lastSeenAt": None, "createdAt": now, "updatedAt": now}
        try:
            await deps.repo.printers.insert(doc)
        except DuplicateKeyError:
            return await bind(deps, user_id, device_name, code)
        return doc
    return existing.doc


async def unbind(deps: Deps, user_id: str, printer_id: str) -> None:
    await owned_printer(deps, user_id, printer_id)
    busy = await deps.repo.count(deps.repo.jobs, {"printerId": printer_id,
                                                  "status": {"$in": list(ACTIVE_PRINT)}})
    if busy:
        raise Conflict("The printer has an active print job")
    await deps.repo.printers.mutate(
        {"_id": printer_id, "userId": user_id},
        lambda doc, now: Change({"userId": None, "boundAt": None}))


async def live_state(deps: Deps, printer: dict[str, Any]) -> PrinterState | None:
    device = deps.registry.get(printer["deviceName"])
    if device is None:
        return None
    try:
        async with asyncio.timeout(deps.settings.PRINTER_REQUEST_TIMEOUT):
            state = await deps.registry.adapter(device).status()
    except (PrinterUnavailable, TimeoutError):
        return None
    now = deps.clock()
    seen = printer.get("lastSeenAt")
    if seen is None or now - seen > timedelta(seconds=5):
        await deps.repo.printers.mutate({"_id": printer["_id"]},
                                        lambda doc, n: Change({"lastSeenAt": n}))
        printer["lastSeenAt"] = now
    return state


def derived_status(deps: Deps, printer: dict[str, Any], state: PrinterState | None) -> str:
    if state is None:
        seen = printer.get("lastSeenAt")
        offline_after = timedelta(seconds=deps.settings.PRINTER_OFFLINE_AFTER)
        if seen is None or deps.clock() - seen >= offline_after:
            return "OFFLINE"
        return printer.get("lastStatus", "ONLINE")
    return STATE_TO_STATUS.get(state.state, "ONLINE")


def _realtime(state: PrinterState | None) -> dict[str, Any] | None:
    if state is None:
        return None
    return {"nozzleTemperature": {"current": state.nozzle[0], "target": state.nozzle[1]},
            "bedTemperature": {"current": state.bed[0], "target": state.bed[1]},
            "innerTemperature": None,
            "position": dict(zip("xyz", state.position, strict=True)),
            "fanEnabled": state.state in ("PRINTING", "HEATING"), "ledEnabled": True,
            "layer": state.layer, "layerCount": state.layer_count}


def _current_job(state: PrinterState | None, job: dict[str, Any] | None) -> dict[str, Any] | None:
    if state is None or state.state not in ("PRINTING", "HEATING", "PAUSED"):
        return None
    return {"name": (job or {}).get("name") or state.job, "progress": round(state.progress, 1),
            "timeRemaining": round(state.time_remaining or 0), "printJobId": (job or {}).get("_id"),
            "startedAt": iso((job or {}).get("startedAt"))}


async def printer_view(deps: Deps, printer: dict[str, Any], *, live: bool = True) -> dict[str, Any]:
    state = await live_state(deps, printer) if live else None
    job = None
    if state is not None:
        found = await deps.repo.find(deps.repo.jobs, {"printerId": printer["_id"],
                                                      "status": "PRINTING"}, limit=1)
        job = found[0] if found else None
    status = derived_status(deps, printer, state) if live else printer.get("lastStatus", "OFFLINE")
    return {"id": printer["_id"], "name": printer.get("name") or printer["deviceName"],
            "deviceName": printer["deviceName"], "model": printer.get("model"),
            "status": status, "lastOnline": iso(printer.get("lastSeenAt")),
            "firmwareVersion": state.firmware if state else None,
            "realtimeStatus": _realtime(state), "currentJob": _current_job(state, job)}


def printer_summary(printer: dict[str, Any] | None, job: dict[str, Any]) -> dict[str, Any]:
    return {"id": job["printerId"], "deviceName": job["deviceName"],
            "name": (printer or {}).get("name") or job["deviceName"],
            "model": (printer or {}).get("model")}


async def list_printers(deps: Deps, user_id: str, *, page: int, size: int,
                        include_status: bool) -> dict[str, Any]:
    query = {"userId": user_id}
    docs = await deps.repo.find(deps.repo.printers, query, limit=size, skip=(page - 1) * size,
                                sort=[("boundAt", -1), ("_id", 1)])
    views = await asyncio.gather(*(printer_view(deps, d, live=include_status) for d in docs))
    return {"printers": list(views), "total": await deps.repo.count(deps.repo.printers, query),
            "page": page, "size": size}


async def printers_batch(deps: Deps, user_id: str, ids: list[str]) -> dict[str, Any]:
    docs = await deps.repo.find(deps.repo.printers, {"_id": {"$in": ids}, "userId": user_id},
                                limit=len(ids))
    return {"printers": list(await asyncio.gather(*(printer_view(deps, d) for d in docs)))}


async def printer_status(deps: Deps, user_id: str, printer_id: str) -> dict[str, Any]:
    view = await printer_view(deps, await owned_printer(deps, user_id, printer_id))
    return {"status": view["status"], "realtimeStatus": view["realtimeStatus"],
            "currentJob": view["currentJob"], "updatedAt": iso(deps.clock())}
