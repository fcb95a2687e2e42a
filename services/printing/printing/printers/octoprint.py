"""OctoPrint's REST API: upload to local storage, select and print, job and printer state,
cancel (X-Api-Key)."""

from typing import Any
from urllib.parse import quote

from .base import PrinterState
from .http import PrinterHttp

STATES = {"printing": "PRINTING", "paused": "PAUSED", "pausing": "PAUSED", "error": "ERROR",
          "cancelling": "CANCELLED"}


class OctoPrintPrinter:
    kind = "octoprint"

    def __init__(self, base_url: str, api_key: str, *, timeout: float = 10.0,
                 client: Any = None) -> None:
        self.http = PrinterHttp(base_url, headers={"X-Api-Key": api_key}, timeout=timeout,
                                name="OctoPrint", client=client)

    async def upload(self, name: str, gcode: bytes) -> str:
        body = await self.http.json("POST", "/api/files/local",
                                    files={"file": (name, gcode, "application/octet-stream")},
                                    data={"select": "false", "print": "false"})
        path = ((body.get("files") or {}).get("local") or {}).get("path") or name
        return path

    async def start(self, file_ref: str) -> str:
        await self.http.request("POST", f"/api/files/local/{quote(file_ref)}",
                                json={"command": "select", "print": True})
        return file_ref

    async def status(self) -> PrinterState:
        job = await self.http.json("GET", "/api/job")
        printer = await self.http.json("GET", "/api/printer")  # 409 when not connected
        flags = (printer.get("state") or {}).get("flags") or {}
        state = next((v for k, v in STATES.items() if flags.get(k)), None)
        file = ((job.get("job") or {}).get("file") or {})
        progress = job.get("progress") or {}
        completion = float(progress.get("completion") or 0.0)
        if state is None:
            finished = file.get("path") and completion >= 100
            state = "COMPLETE" if finished else "IDLE" if flags.get("operational") else "ERROR"
        temps = printer.get("temperature") or {}
        tool, bed = temps.get("tool0") or {}, temps.get("bed") or {}
        return PrinterState(
            state, job=file.get("path"), progress=completion,
            time_remaining=progress.get("printTimeLeft"),
            nozzle=(float(tool.get("actual") or 0), float(tool.get("target") or 0)),
            bed=(float(bed.get("actual") or 0), float(bed.get("target") or 0)),
            message=(printer.get("state") or {}).get("error") or None, firmware="OctoPrint")

    async def cancel(self) -> None:
        await self.http.request("POST", "/api/job", json={"command": "cancel"})

    async def aclose(self) -> None:
        await self.http.aclose()
