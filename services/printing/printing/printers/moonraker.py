"""Moonraker (Klipper): `/server/files/upload`, `/printer/print/start`, `/printer/objects/query`,
`/printer/print/cancel`; answers are `{"result": ...}`."""

from typing import Any
from urllib.parse import quote

from .base import PrinterState
from .http import PrinterHttp

STATES = {"printing": "PRINTING", "paused": "PAUSED", "complete": "COMPLETE", "error": "ERROR",
          "cancelled": "CANCELLED", "standby": "IDLE"}
QUERY = "/printer/objects/query?print_stats&virtual_sdcard&extruder&heater_bed&toolhead"


class MoonrakerPrinter:
    kind = "moonraker"

    def __init__(self, base_url: str, *, api_key: str | None = None, timeout: float = 10.0,
                 client: Any = None) -> None:
        headers = {"X-Api-Key": api_key} if api_key else {}
        self.http = PrinterHttp(base_url, headers=headers, timeout=timeout, name="Moonraker",
                                client=client)

    async def _result(self, method: str, path: str, **kw: Any) -> Any:
        return (await self.http.envelope(method, path, "result", **kw))["result"]

    async def upload(self, name: str, gcode: bytes) -> str:
        result = await self._result("POST", "/server/files/upload",
                                    files={"file": (name, gcode, "application/octet-stream")},
                                    data={"root": "gcodes"})
        return ((result or {}).get("item") or {}).get("path") or name

    async def start(self, file_ref: str) -> str:
        await self._result("POST", f"/printer/print/start?filename={quote(file_ref)}")
        return file_ref

    async def status(self) -> PrinterState:
        result = await self._result("GET", QUERY)
        status = (result or {}).get("status") or {}
        stats = status.get("print_stats") or {}
        extruder, bed = status.get("extruder") or {}, status.get("heater_bed") or {}
        position = (status.get("toolhead") or {}).get("position") or [0, 0, 0]
        progress = float((status.get("virtual_sdcard") or {}).get("progress") or 0.0) * 100
        state = STATES.get(str(stats.get("state", "")).lower(), "IDLE")
        info = stats.get("info") or {}
        return PrinterState(
            state, job=stats.get("filename") or None, progress=progress,
            layer=info.get("current_layer"), layer_count=info.get("total_layer"),
            nozzle=(float(extruder.get("temperature") or 0), float(extruder.get("target") or 0)),
            bed=(float(bed.get("temperature") or 0), float(bed.get("target") or 0)),
            position=tuple(float(v) for v in position[:3]), message=stats.get("message") or None,
            firmware="Klipper")

    async def cancel(self) -> None:
        await self._result("POST", "/printer/print/cancel")

    async def aclose(self) -> None:
        await self.http.aclose()
