"""A simulated FDM printer: a state machine that consumes the uploaded G-code.

IDLE -> HEATING (temperatures ramp) -> PRINTING (time, layer and progress follow the
file's own moves, `speedup` times faster) -> COMPLETE; PAUSED and ERROR are reachable
(`pause`, `resume`, `fault`), `power_off` makes it stop answering. State lives in the
process like a real printer's lives in the printer: a restarted service finds it idle.
"""

import asyncio
import bisect
import time
from dataclasses import dataclass

from ..slicing.gcode import LayerTime, WalkState, layer_times
from .base import PrinterRefused, PrinterState, PrinterUnavailable

AMBIENT = 25.0


@dataclass
class _Job:
    name: str
    layers: list[LayerTime]
    nozzle: float
    bed: float
    started: float
    paused_at: float | None = None
    paused_total: float = 0.0


class SimulatedPrinter:
    kind = "simulated"
    firmware = "lumi-sim 1.0"

    def __init__(self, name: str, *, speedup: float = 60.0, heat_seconds: float = 1.0,
                 clock=time.monotonic) -> None:
        self.name, self.speedup, self.heat_seconds, self.clock = name, speedup, heat_seconds, clock
        self.files: dict[str, tuple[list[LayerTime], float, float]] = {}
        self.job: _Job | None = None
        self.error: str | None = None
        self.powered = True
        self.cancelled = False

    def _check_power(self) -> None:
        if not self.powered:
            raise PrinterUnavailable(f"{self.name} does not answer")

    async def upload(self, name: str, gcode: bytes) -> str:
        self._check_power()
        state = WalkState()
        layers = await asyncio.to_thread(layer_times, gcode.decode(errors="replace").splitlines(),
                                         state)
        if not layers:
            raise PrinterRefused("the file contains no printable layers")
        self.files[name] = (layers, state.nozzle, state.bed)
        return name

    async def start(self, file_ref: str) -> str:
        self._check_power()
        if self.error:
            raise PrinterRefused(f"printer in error: {self.error}")
        if self.job and self._phase() not in ("COMPLETE",):
            raise PrinterRefused("printer is busy")
        if file_ref not in self.files:
            raise PrinterRefused(f"no such file {file_ref!r}")
        layers, nozzle, bed = self.files[file_ref]
        self.job, self.cancelled = _Job(file_ref, layers, nozzle, bed, self.clock()), False
        return file_ref

    def _elapsed(self) -> float:
        job = self.job
        assert job is not None
        now = job.paused_at if job.paused_at is not None else self.clock()
        return max(0.0, now - job.started - job.paused_total)

    def _phase(self) -> str:
        if self.job is None:
            return "IDLE"
        elapsed = self._elapsed()
        if elapsed < self.heat_seconds:
            return "HEATING"
        if (elapsed - self.heat_seconds) * self.speedup >= self.job.layers[-1].seconds:
            return "COMPLETE"
        return "PRINTING"

    async def status(self) -> PrinterState:
        self._check_power()
        if self.job is None:
            return PrinterState("CANCELLED" if self.cancelled else "IDLE", firmware=self.firmware,
                                nozzle=(AMBIENT, 0.0), bed=(AMBIENT, 0.0))
        job, phase = self.job, self._phase()
        total = job.layers[-1].seconds
        printed = min(total, max(0.0, (self._elapsed() - self.heat_seconds) * self.speedup))
        ramp = min(1.0, self._elapsed() / self.heat_seconds) if self.heat_seconds else 1.0
        nozzle = AMBIENT + (job.nozzle - AMBIENT) * ramp
        bed = AMBIENT + (job.bed - AMBIENT) * ramp
        index = min(len(job.layers) - 1, bisect.bisect_left([lay.seconds for lay in job.layers],
                                                            printed))
        state = "PAUSED" if job.paused_at is not None else phase
        if self.error:
            state = "ERROR"
        return PrinterState(
            state, job=job.name, progress=100.0 * printed / total if total else 100.0,
            layer=index + 1 if phase != "HEATING" else 0, layer_count=len(job.layers),
            time_remaining=(total - printed) / self.speedup,
            nozzle=(round(nozzle, 1), job.nozzle), bed=(round(bed, 1), job.bed),
            position=(110.0, 110.0, job.layers[index].z), message=self.error,
            firmware=self.firmware)

    async def cancel(self) -> None:
        self._check_power()
        self.job, self.cancelled = None, True

    # ---- operator actions (tests, demos) ----
    def pause(self) -> None:
        if self.job and self.job.paused_at is None:
            self.job.paused_at = self.clock()

    def resume(self) -> None:
        if self.job and self.job.paused_at is not None:
            self.job.paused_total += self.clock() - self.job.paused_at
            self.job.paused_at = None

    def fault(self, message: str) -> None:
        self.error = message

    def clear_fault(self) -> None:
        self.error = None

    def power_off(self) -> None:
        self.powered = False

    def power_on(self) -> None:
        self.powered = True
