"""PrusaSlicer's command line (Debian package `prusa-slicer`) with a config file we write from
the profile. Used when the binary is installed and SLICER=prusa (or auto)."""

import shutil
import tempfile
from pathlib import Path

from .base import SliceError, SliceSource
from .profile import PrintProfile
from .runner import run_process


def prusa_binary() -> str | None:
    return shutil.which("prusa-slicer") or shutil.which("prusa-slicer-console")


def ini(p: PrintProfile) -> str:
    values = {
        "printer_technology": "FFF", "gcode_flavor": "marlin2",
        "bed_shape": f"0x0,{p.bed_x:g}x0,{p.bed_x:g}x{p.bed_y:g},0x{p.bed_y:g}",
        "max_print_height": p.max_z, "nozzle_diameter": p.nozzle_diameter,
        "filament_diameter": p.filament_diameter, "filament_density": p.filament_density,
        "layer_height": p.layer_height, "first_layer_height": p.first_layer_height,
        "extrusion_width": p.extrusion_width, "perimeters": p.perimeters,
        "top_solid_layers": p.top_layers, "bottom_solid_layers": p.bottom_layers,
        "fill_density": f"{round(p.infill_density * 100)}%", "fill_pattern": "rectilinear",
        "fill_angle": p.infill_angle, "skirts": p.skirt_loops, "skirt_distance": p.skirt_distance,
        "temperature": p.nozzle_temperature, "first_layer_temperature": p.nozzle_temperature,
        "bed_temperature": p.bed_temperature, "first_layer_bed_temperature": p.bed_temperature,
        "perimeter_speed": p.perimeter_speed, "infill_speed": p.infill_speed,
        "first_layer_speed": p.first_layer_speed, "travel_speed": p.travel_speed,
        "retract_length": p.retract_length, "use_relative_e_distances": 1,
        "start_gcode": "M190 S[first_layer_bed_temperature]\\nM109 S[first_layer_temperature]"
                       "\\nG28\\nG92 E0",
        "end_gcode": "M104 S0\\nM140 S0\\nM107\\nM84", "layer_gcode": "G92 E0",
    }
    return "".join(f"{k} = {v}\n" for k, v in values.items())


class PrusaSlicer:
    name = "prusa-slicer"

    def __init__(self, binary: str | None = None) -> None:
        self.binary = binary or prusa_binary()
        if not self.binary:
            raise RuntimeError("prusa-slicer is not installed")

    async def slice(self, source: SliceSource, profile: PrintProfile, *, timeout: float) -> str:
        data = await source.load()
        with tempfile.TemporaryDirectory(prefix="lumi-prusa-") as tmp:
            mesh = Path(tmp) / f"model.{source.file_type}"
            config = Path(tmp) / "lumi.ini"
            out = Path(tmp) / "model.gcode"
            mesh.write_bytes(data)
            config.write_text(ini(profile))
            await run_process([self.binary, "--export-gcode", "--load", str(config),
                               "--center", f"{profile.bed_x / 2:g},{profile.bed_y / 2:g}",
                               "--output", str(out), str(mesh)], timeout=timeout, cwd=tmp)
            if not out.exists():
                raise SliceError("prusa-slicer wrote no G-code")
            return out.read_text()
