"""Local fake peers following the documented APIs: a Moonraker, the FY device service
(api-contract §1.6) and the old slicer service,
each with failure modes (errors, timeouts, cancelled/failed tasks)."""

import asyncio
import itertools
from email.parser import BytesParser
from email.policy import default

import pytest
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, PlainTextResponse

from printing.printers.base import PrinterUnavailable


async def multipart(request: Request) -> tuple[dict[str, str], dict[str, tuple[str, bytes]]]:
    head = f"Content-Type: {request.headers['content-type']}\r\n\r\n".encode()
    message = BytesParser(policy=default).parsebytes(head + await request.body())
    fields, files = {}, {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        payload = part.get_payload(decode=True)
        if part.get_filename():
            files[name] = (part.get_filename(), payload)
        else:
            fields[name] = payload.decode()
    return fields, files


def fake_moonraker(api_key: str | None = None) -> FastAPI:
    app = FastAPI()
    app.state.mode = "ok"  # ok | error | slow
    state = {"files": {}, "printing": None, "queries": 0, "state": "standby", "cancelled": 0}

    @app.middleware("http")
    async def faults(request: Request, call_next):
        if api_key and request.headers.get("x-api-key") != api_key:
            return JSONResponse({"error": {"code": 401, "message": "Unauthorized"}}, 401)
        if app.state.mode == "error":
            return JSONResponse({"error": {"code": 500, "message": "klippy shutdown"}}, 500)
        if app.state.mode == "slow":
            await asyncio.sleep(5)
        return await call_next(request)

    @app.post("/server/files/upload")
    async def upload(request: Request):
        fields, files = await multipart(request)
        name, data = files["file"]
        state["files"][name] = data
        return {"result": {"item": {"path": name, "root": fields.get("root")},
                           "action": "create_file"}}

    @app.post("/printer/print/start")
    async def start(filename: str):
        if filename not in state["files"]:
            return JSONResponse({"error": {"code": 400, "message": "file not found"}}, 400)
        state.update(printing=filename, queries=0, state="printing")
        return {"result": "ok"}

    @app.get("/printer/objects/query")
    async def query():
        if state["state"] == "printing":
            state["queries"] += 1
            if state["queries"] >= 5:
                state["state"] = "complete"
        progress = min(1.0, state["queries"] / 5) if state["printing"] else 0.0
        return {"result": {"eventtime": 1.0, "status": {
            "print_stats": {"state": state["state"], "filename": state["printing"] or "",
                            "message": "", "info": {"current_layer": state["queries"],
                                                    "total_layer": 5}},
            "virtual_sdcard": {"progress": progress},
            "extruder": {"temperature": 209.5, "target": 210.0},
            "heater_bed": {"temperature": 60.0, "target": 60.0},
            "toolhead": {"position": [110.0, 110.0, 0.2 * state["queries"], 0.0]}}}}

    @app.post("/printer/print/cancel")
    async def cancel():
        state["state"], state["cancelled"] = "cancelled", state["cancelled"] + 1
        return {"result": "ok"}

    app.state.printer = state
    return app


def fake_fy_device_service(token: str) -> FastAPI:
    """`GET /api/v1.0/my/device/{device_name}` and `POST /api/v1.0/task/start`, answering
    `{code, msg, data}`; device status 0 = offline, 1 (+ task) = online (printing)."""
    app = FastAPI()
    app.state.mode = "ok"  # ok | error | slow | garbage
    state = {"paths": [], "auth": [], "started": [], "status": 1, "task": None}

    @app.middleware("http")
    async def faults(request: Request, call_next):
        state["paths"].append(request.scope.get("raw_path", b"").decode())
        state["auth"].append(request.headers.get("authorization"))
        if request.headers.get("authorization") != f"Bearer {token}":
            return JSONResponse({"code": 401, "msg": "unauthenticated", "data": None}, 401)
        if app.state.mode == "error":
            return JSONResponse({"code": 500, "msg": "device service down", "data": None}, 500)
        if app.state.mode == "slow":
            await asyncio.sleep(5)
        if app.state.mode == "garbage":
            return PlainTextResponse("<html>not json</html>")
        return await call_next(request)

    @app.get("/api/v1.0/my/device/{device_name:path}")
    async def detail(device_name: str, device_id: str, id: str):
        data = {"id": id, "device_id": device_id, "device_name": device_name,
                "product_name": "FY-1", "status": state["status"], "task": state["task"]}
        return {"code": 0, "msg": "ok", "data": data}

    @app.post("/api/v1.0/task/start")
    async def start(body: dict):
        if not body.get("gcode_url"):
            return JSONResponse({"code": 400, "msg": "gcode_url required", "data": None}, 400)
        state["started"].append(body)
        state["task"] = {"file_name": body["file_name"], "progress": 40, "time_remaining": 60}
        return {"code": 0, "msg": "ok", "data": {"task_id": "t1"}}

    app.state.device = state
    return app


def fake_slicer_service(gcode: str) -> FastAPI:
    """`POST /api/v1/tasks/` then `GET /api/v1/tasks/{id}` walking PENDING, FETCHING,
    PROCESSING to the outcome chosen by the file name: ok | cancel | fail."""
    app = FastAPI()
    app.state.mode = "ok"  # ok | error | slow
    tasks: dict[str, dict] = {}
    ids = itertools.count(1)

    @app.post("/api/v1/tasks/")
    async def create(body: dict):
        if app.state.mode == "error":
            return JSONResponse({"detail": "boom"}, 500)
        task_id = f"t{next(ids)}"
        tasks[task_id] = {"id": task_id, "polls": 0, "object_url": body["object_url"],
                          "file_name": body["file_name"]}
        return {"slice_task_id": task_id, "status": "PENDING", "message": "queued"}

    @app.get("/api/v1/tasks/{task_id}")
    async def get(task_id: str, request: Request):
        if app.state.mode == "slow":
            await asyncio.sleep(5)
        task = tasks.get(task_id)
        if task is None:
            return JSONResponse({"detail": "not found"}, 404)
        task["polls"] += 1
        steps = ["PENDING", "FETCHING", "PROCESSING"]
        outcome = next((o for o in ("cancel", "fail") if o in task["object_url"]), "ok")
        if task["polls"] <= len(steps):
            return {"id": task_id, "status": steps[task["polls"] - 1], "progress": 30}
        if outcome == "cancel":
            return {"id": task_id, "status": "CANCELLED"}
        if outcome == "fail":
            return {"id": task_id, "status": "FAILED", "error_message": "non-manifold mesh"}
        return {"id": task_id, "status": "COMPLETED", "gcode_metadata": {"layer_height": 0.2},
                "gcode_download_url": f"{str(request.base_url).rstrip('/')}/files/{task_id}.gcode"}

    @app.get("/files/{name}")
    async def files(name: str):
        return PlainTextResponse(gcode)

    return app


async def refuses_errors_and_silence(app, printer) -> None:
    """A fake peer answering HTTP 500, then not answering in time: the printer adapter reports
    both as PrinterUnavailable with a message that says which."""
    app.state.mode = "error"
    with pytest.raises(PrinterUnavailable, match="HTTP 500"):
        await printer.status()
    app.state.mode = "slow"
    with pytest.raises(PrinterUnavailable, match="did not answer in time"):
        await printer.status()
