"""Slicers (one module each, same interface) and the G-code metadata reader."""

from typing import Any

from .base import SliceError, Slicer, SliceSource
from .gcode import metadata
from .local import PlanarSlicer
from .profile import PrintProfile
from .prusa import PrusaSlicer, prusa_binary
from .remote import HttpSlicer


def create_slicer(settings: Any, *, fetcher: Any = None) -> Slicer:
    choice = settings.SLICER
    if choice == "auto":
        choice = "prusa" if prusa_binary() else "planar"
    if choice == "prusa":
        return PrusaSlicer(settings.PRUSA_SLICER_BINARY or None)
    if choice == "http":
        return HttpSlicer(settings.SLICER_SERVICE_URL, fetcher=fetcher,
                          poll_interval=settings.SLICER_POLL_INTERVAL)
    return PlanarSlicer()


__all__ = ["SliceError", "Slicer", "SliceSource", "PrintProfile", "PlanarSlicer", "PrusaSlicer",
           "HttpSlicer", "create_slicer", "metadata", "prusa_binary"]
