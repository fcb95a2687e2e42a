"""The embedded slicer in a subprocess (`python -m printing.slicing.cli`), so a slow model
never blocks the service and a hung one is killed at the timeout."""

import json
import sys
import tempfile
from pathlib import Path

from .base import SliceSource
from .profile import PrintProfile
from .runner import run_process


class PlanarSlicer:
    name = "lumi-planar"

    async def slice(self, source: SliceSource, profile: PrintProfile, *, timeout: float) -> str:
        data = await source.load()
        with tempfile.TemporaryDirectory(prefix="lumi-slice-") as tmp:
            mesh = Path(tmp) / f"model.{source.file_type}"
            out = Path(tmp) / "model.gcode"
            mesh.write_bytes(data)
            await run_process([sys.executable, "-m", "printing.slicing.cli", str(mesh), str(out),
                               json.dumps(profile.to_dict())], timeout=timeout)
            return out.read_text()
