"""Settings of the printing service (attribute names = environment variables)."""

from typing import Literal

from lumi_shared.settings import BaseServiceSettings


class Settings(BaseServiceSettings):
    SERVICE_NAME: str = "printing"
    PORT: int = 8004

    # Slicer: auto = PrusaSlicer's CLI when installed, else the embedded planar slicer.
    SLICER: Literal["auto", "planar", "prusa", "http"] = "auto"
    PRUSA_SLICER_BINARY: str = ""
    SLICER_SERVICE_URL: str = "http://localhost:8010"
    SLICER_POLL_INTERVAL: float = 2.0
    SLICE_TIMEOUT: float = 300.0
    SLICE_WORKERS: int = 1
    SLICE_MAX_ATTEMPTS: int = 2
    SLICE_LAYER_HEIGHT: float = 0.2
    SLICE_INFILL_DENSITY: float = 0.2
    MODEL_MAX_BYTES: int = 100 * 1024 * 1024
    GCODE_FETCH_ALLOWED_HOSTS: str = ""
    GCODE_FETCH_ALLOW_HTTP: bool = False
    GCODE_MAX_BYTES: int = 200 * 1024 * 1024

    # Print jobs and printers.
    PRINT_WORKERS: int = 4
    JOB_LEASE: float = 30.0
    WORKER_POLL_INTERVAL: float = 1.0
    PRINTER_POLL_INTERVAL: float = 2.0
    PRINTER_SILENCE_TIMEOUT: float = 60.0     # job FAILED when its printer stops answering
    PRINTER_OFFLINE_AFTER: float = 30.0       # status OFFLINE when not seen for this long
    PRINTER_REQUEST_TIMEOUT: float = 10.0
    PRINTER_SIM_SPEEDUP: float = 1000.0       # simulated printer: print time / speed-up
    PRINTER_SIM_HEAT_SECONDS: float = 1.0     # simulated printer: heat-up time (after speed-up)
    PRINTER_SIM_DEVICES: str = "SIM-001,SIM-002,SIM-003"
    PRINTER_BIND_SECRET: str = "dev-printer-bind-secret-change-me-0123456789"
    # Printers reached over the network: JSON list of {deviceName, kind: octoprint|moonraker|fy,
    # url, apiKey?, model?} (fy: url/apiKey default to DEVICE_SERVICE_URL/_TOKEN, plus
    # deviceId?, gcodeBaseUrl?); nothing is hard-coded.
    PRINTER_DEVICES: str = "[]"
    DEFAULT_PRINTER: str = "SIM-001"          # printer of POST /api/tasks/{id}/print without one
    DEVICE_SERVICE_URL: str = ""              # FY device service (default for kind fy)
    DEVICE_SERVICE_TOKEN: str = ""
    PRINTERS_MAX_PER_USER: int = 50
    JOBS_MAX_ACTIVE_PER_USER: int = 10

    def secret_fields(self) -> tuple[str, ...]:
        return (*super().secret_fields(), "PRINTER_BIND_SECRET")

    @staticmethod
    def host_list(value: str) -> tuple[str, ...]:
        return tuple(h.strip().lower() for h in value.split(",") if h.strip())
