"""The FY device service (api-contract §1.6): `GET /api/v1.0/my/device/{device_name}` for the
state, `POST /api/v1.0/task/start {device_name, file_name, gcode_url, user_id}` to print.
Answers are `{code, msg, data[, status|task]}`; the bearer token is forwarded.

FY devices fetch G-code by URL and the API has no upload or cancel endpoint: `upload` only
names the file (`gcode_url` = per-printer `gcodeBaseUrl` + name, or the name when it already is
a URL) and `cancel` is refused."""

from typing import Any
from urllib.parse import quote

from .base import PrinterRefused, PrinterState, PrinterUnavailable
from .http import PrinterHttp

OK_CODES = (0, 200)


class FyPrinter:
    kind = "fy"

    def __init__(self, base_url: str, device_name: str, *, token: str, device_id: str | None = None,
                 gcode_base_url: str | None = None, user_id: str = "lumi-printing",
                 timeout: float = 10.0, client: Any = None) -> None:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self.http = PrinterHttp(base_url, headers=headers, timeout=timeout, name="FY device service",
                                client=client)
        self.device_name, self.device_id = device_name, device_id or device_name
        self.gcode_base_url, self.user_id = (gcode_base_url or "").rstrip("/"), user_id

    async def _call(self, method: str, path: str, **kw: Any) -> dict[str, Any]:
        body = await self.http.envelope(method, "/api/v1.0" + path, "code", **kw)
        if body["code"] in (401, 403):
            raise PrinterUnavailable("FY device service refused our credentials", status=body["code"])
        if body["code"] not in OK_CODES:
            raise PrinterRefused(f"FY device service refused the request (code {body['code']}): "
                                 f"{str(body.get('msg'))[:200]}", status=400)
        return body

    async def upload(self, name: str, gcode: bytes) -> str:
        return name

    async def start(self, file_ref: str) -> str:
        url = file_ref if "://" in file_ref or not self.gcode_base_url else \
            f"{self.gcode_base_url}/{quote(file_ref, safe='')}"
        await self._call("POST", "/task/start", json={
            "device_name": self.device_name, "file_name": file_ref.rsplit("/", 1)[-1],
            "gcode_url": url, "user_id": self.user_id})
        return file_ref

    async def status(self) -> PrinterState:
        body = await self._call("GET", f"/my/device/{quote(self.device_name, safe='')}",
                                params={"device_id": self.device_id, "id": self.device_id})
        data = body.get("data") if isinstance(body.get("data"), dict) else {}
        status = data.get("status", body.get("status"))
        task = data.get("task") or body.get("task")
        if status in (0, "0"):  # FY: 0 = OFFLINE
            raise PrinterUnavailable("FY device is offline")
        if not isinstance(task, dict):  # FY: 1 without a task = ONLINE
            return PrinterState("IDLE", firmware="FY")
        progress = float(task.get("progress") or 0.0)  # FY: 1 with a task = PRINTING
        return PrinterState("COMPLETE" if progress >= 100 else "PRINTING",
                            job=task.get("file_name") or task.get("name"), progress=progress,
                            time_remaining=task.get("time_remaining"), firmware="FY")

    async def cancel(self) -> None:
        raise PrinterRefused("the FY device service has no cancel endpoint")

    async def aclose(self) -> None:
        await self.http.aclose()
