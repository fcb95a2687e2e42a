"""The printer interface every adapter implements: upload, start, status, cancel."""

from dataclasses import dataclass, field
from typing import Protocol


class PrinterUnavailable(Exception):
    """The printer (or its gateway service) did not answer, or answered with an error."""

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class PrinterRefused(PrinterUnavailable):
    """The printer answered but refused the request (busy, bad file, not authorised...)."""


@dataclass
class PrinterState:
    state: str                      # IDLE | HEATING | PRINTING | PAUSED | COMPLETE | ERROR | CANCELLED
    job: str | None = None          # remote job / file name the printer is working on
    progress: float = 0.0           # 0..100
    layer: int | None = None
    layer_count: int | None = None
    time_remaining: float | None = None  # seconds
    nozzle: tuple[float, float] = (0.0, 0.0)  # current, target
    bed: tuple[float, float] = (0.0, 0.0)
    position: tuple[float, float, float] = (0.0, 0.0, 0.0)
    message: str | None = None
    firmware: str | None = None
    extra: dict = field(default_factory=dict)


class PrinterAdapter(Protocol):
    kind: str

    async def upload(self, name: str, gcode: bytes) -> str: ...
    async def start(self, file_ref: str) -> str: ...
    async def status(self) -> PrinterState: ...
    async def cancel(self) -> None: ...
