"""The embedded slicer and the G-code reader on meshes with known geometry."""

import asyncio
import math
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import shapely
import trimesh
from shapely.geometry import Point, Polygon

from printing.slicing import PlanarSlicer, PrusaSlicer, SliceError, SliceSource, metadata, prusa_binary
from printing.slicing.gcode import parse_hms, walk
from printing.slicing.planar import slice_bytes
from printing.slicing.profile import PrintProfile
from printing.slicing.runner import run_process
from printing.slicing.sections import MeshError, overlay
from printing.slicing.toolpath import infill_lines

SOLID = PrintProfile(infill_density=1.0)
FILAMENT_AREA = math.pi * (1.75 / 2) ** 2


def tube() -> trimesh.Trimesh:
    """A 30 mm tube, 10 mm tall, with a 12 mm hole: volume known, and a hole to stay out of."""
    return trimesh.creation.annulus(r_min=6, r_max=15, height=10, sections=96)


def extrusions(gcode: str) -> list:
    """Extruding moves of the part (the prime line and the skirt left out)."""
    kind, started, out = None, False, []
    lines = gcode.splitlines()
    types = {}
    for number, line in enumerate(lines):
        if line.startswith(";LAYER_CHANGE"):
            started = True
        if line.startswith(";TYPE:"):
            kind = line[6:]
        types[number] = kind if started else "start"
    for move in walk(lines):
        if move.e > 0 and (move.x, move.y) != (move.x0, move.y0):
            out.append((types[move.line], move))
    return out


def test_layers_increase_monotonically_and_cover_the_height():
    gcode = slice_bytes(tube().export(file_type="stl"), "stl", PrintProfile())
    zs = [float(line[3:]) for line in gcode.splitlines() if line.startswith(";Z:")]
    assert zs == sorted(zs) and len(set(zs)) == len(zs)
    assert zs[0] == pytest.approx(0.2) and zs[-1] == pytest.approx(10.0)
    meta = metadata(gcode)
    assert meta["layer_count"] == 50 and meta["layer_height"] == pytest.approx(0.2)
    part_zs = sorted({round(m.z, 3) for kind, m in extrusions(gcode) if kind != "start"})
    assert part_zs == sorted(part_zs) and len(part_zs) == 50


def test_extrusion_stays_inside_the_footprint_and_out_of_the_hole():
    gcode = slice_bytes(tube().export(file_type="stl"), "stl", SOLID)
    centre = np.array([110.0, 110.0])
    tolerance = 0.05
    for kind, move in extrusions(gcode):
        if kind in ("Skirt", "start"):
            continue
        for x, y in ((move.x0, move.y0), (move.x, move.y)):
            r = float(np.hypot(x - centre[0], y - centre[1]))
            assert 6 - tolerance <= r <= 15 + tolerance, (kind, x, y, r)
    skirt = [m for kind, m in extrusions(gcode) if kind == "Skirt"]
    assert skirt and all(np.hypot(m.x - 110, m.y - 110) > 15 for m in skirt)


@pytest.mark.parametrize("mesh", [tube(), trimesh.creation.icosphere(subdivisions=3, radius=12),
                                  trimesh.creation.box(extents=(40, 10, 6))],
                         ids=["tube", "sphere", "box"])
def test_solid_extrusion_matches_the_model_volume(mesh):
    gcode = slice_bytes(mesh.export(file_type="stl"), "stl", SOLID)
    part = sum(m.e for kind, m in extrusions(gcode) if kind not in ("Skirt", "start"))
    assert part * FILAMENT_AREA == pytest.approx(mesh.volume, rel=0.30)
    assert part * FILAMENT_AREA == pytest.approx(mesh.volume, rel=0.10)  # in fact much closer


def test_sparse_infill_uses_less_filament_and_keeps_solid_skins():
    data = trimesh.creation.box(extents=(30, 30, 10)).export(file_type="stl")
    sparse = metadata(slice_bytes(data, "stl", PrintProfile(infill_density=0.2)))
    solid = metadata(slice_bytes(data, "stl", SOLID))
    assert 0.2 * solid["filament_used"] < sparse["filament_used"] < 0.6 * solid["filament_used"]
    assert sparse["print_time"] < solid["print_time"]


def test_two_islands_are_both_printed():
    a = trimesh.creation.box(extents=(10, 10, 4))
    b = a.copy()
    b.apply_translation((30, 0, 0))
    gcode = slice_bytes(trimesh.util.concatenate([a, b]).export(file_type="stl"), "stl", SOLID)
    xs = [m.x for kind, m in extrusions(gcode) if kind == "Perimeter"]
    assert min(xs) < 100 and max(xs) > 120  # both boxes (centred on 110) got walls
    hull = shapely.MultiPoint([(m.x, m.y) for kind, m in extrusions(gcode)
                               if kind == "Solid infill"])
    assert not hull.is_empty and not hull.intersects(Point(110, 110).buffer(8))  # not the gap


def test_infill_of_a_region_that_turns_invalid_when_rotated():
    """A layer region of a simulated whale (seed 424133): valid, but turned by 45 degrees
    about its centroid it self-intersects, and clipping the turned region failed with a GEOS
    TopologyException (the print flow ended FAILED in CI)."""
    area = shapely.from_wkb((Path(__file__).parent / "data" / "turns_invalid.wkb").read_bytes())
    assert area.is_valid
    gap = 0.40707963267948966
    lines = infill_lines(area, gap, -45.0)
    assert lines
    paths = shapely.MultiLineString([line.tolist() for line in lines])
    assert area.buffer(1e-6).contains(paths)
    # Parallel lines `gap` apart cover the region: total length about area / gap.
    assert paths.length == pytest.approx(area.area / gap, rel=0.1)


def test_an_overlay_that_hits_a_topology_conflict_is_redone_on_a_grid():
    bowtie = Polygon([(0, 0), (2, 2), (2, 0), (0, 2)])  # invalid: GEOS refuses to overlay it
    square = Polygon([(0, 0), (2, 0), (2, 2), (0, 2)])
    with pytest.raises(shapely.errors.GEOSException):
        shapely.difference(square, bowtie)
    assert overlay(shapely.difference, square, bowtie).area == pytest.approx(2.0)


def test_metadata_comes_from_the_file():
    gcode = slice_bytes(tube().export(file_type="stl"), "stl", PrintProfile())
    meta = metadata(gcode)
    walked = sum(m.e for m in walk(gcode.splitlines()))
    assert meta["filament_used"] == pytest.approx(walked, abs=0.1)
    assert meta["filament_used_g"] == pytest.approx(walked * FILAMENT_AREA / 1000 * 1.24, rel=0.01)
    assert meta["print_time"] > 60 and meta["nozzle_temperature"] == 210
    assert meta["generator"].startswith("generated by lumi-planar")
    reported = "; generated by X\n; estimated printing time (normal mode) = 1h 2m 3s\n" + gcode
    assert metadata(reported)["print_time"] == 3723
    assert parse_hms("1d 0h 0m 1s") == 86401 and parse_hms("nonsense") is None
    with pytest.raises(ValueError):
        metadata("G28\nG1 X10 Y10\n")


def test_bad_meshes_are_clear_errors():
    with pytest.raises(MeshError):
        slice_bytes(b"not a mesh at all", "stl", PrintProfile())
    with pytest.raises(MeshError, match="does not fit"):
        slice_bytes(trimesh.creation.box(extents=(300, 20, 5)).export(file_type="stl"), "stl",
                    PrintProfile())


async def test_a_crashing_slicer_is_reported_by_its_reason_never_by_its_traceback():
    crash = "import sys; print('Traceback (most recent call last):', file=sys.stderr); " \
            "print('  File \"/srv/x.py\", line 1', file=sys.stderr); " \
            "print('the embedded slicer could not process this model (GEOSException)', " \
            "file=sys.stderr); sys.exit(3)"
    with pytest.raises(SliceError) as caught:
        await run_process([sys.executable, "-c", crash], timeout=30)
    assert str(caught.value) == ("the slicer failed: the embedded slicer could not process "
                                 "this model (GEOSException)")


def _source(mesh: trimesh.Trimesh) -> SliceSource:
    data = mesh.export(file_type="stl")

    async def load() -> bytes:
        return data
    return SliceSource("m1", "http://files.test/m1.stl", "stl", load)


async def test_the_subprocess_slicer_and_its_timeout_kill():
    gcode = await PlanarSlicer().slice(_source(tube()), PrintProfile(), timeout=120)
    assert metadata(gcode)["layer_count"] == 50
    start = time.monotonic()
    with pytest.raises(SliceError, match="did not finish within"):
        await run_process(["sleep", "30"], timeout=0.5)
    assert time.monotonic() - start < 5
    with pytest.raises(SliceError, match="did not finish within"):
        await PlanarSlicer().slice(_source(trimesh.creation.icosphere(5, radius=40)),
                                   PrintProfile(), timeout=0.2)
    bad = SliceSource("m2", "u", "stl", _source(tube()).load)
    bad.load = lambda: asyncio.sleep(0, b"garbage")
    with pytest.raises(SliceError, match="cannot read|no triangles"):
        await PlanarSlicer().slice(bad, PrintProfile(), timeout=60)


@pytest.mark.skipif(not prusa_binary(),
                    reason="prusa-slicer is not installed (apt-get install prusa-slicer)")
async def test_prusaslicer_cli_with_our_config():
    gcode = await PrusaSlicer().slice(_source(tube()), SOLID, timeout=180)
    meta = metadata(gcode)
    assert meta["generator"].startswith("generated by PrusaSlicer")
    assert meta["layer_count"] == 50 and meta["layer_height"] == pytest.approx(0.2)
    assert meta["filament_volume_cm3"] * 1000 == pytest.approx(tube().volume, rel=0.30)
    assert meta["nozzle_temperature"] == 210 and meta["bed_temperature"] == 60
