"""Slicing: the simulated model (modeling's relief, 80 mm) sliced on one core - models per
minute and p50/p99 per slice, for each slicer available here (named in the table)."""

import asyncio
import os
import time

from PIL import Image, ImageDraw

from .common import percentile


def simulated_model_stl(resolution: int = 80) -> bytes:
    """What the simulated 3D provider writes: a relief of a picture on a 3 mm base, 80 mm wide."""
    from modeling.artifacts import build_relief
    from modeling.mesh.formats import write_stl

    image = Image.new("RGB", (256, 256), (235, 235, 230))
    draw = ImageDraw.Draw(image)
    draw.ellipse((40, 40, 216, 216), fill=(200, 60, 40))
    draw.rectangle((100, 20, 156, 120), fill=(30, 30, 160))
    _, mesh = build_relief(image, resolution=resolution, size_mm=80.0, base_mm=3.0, relief_mm=8.0)
    return write_stl(mesh.vertices, mesh.faces)


def _row(name: str, times: list[float], meta: dict, size: int) -> str:
    p50, p99 = percentile(times, 0.5), percentile(times, 0.99)
    per_minute = 60.0 / (sum(times) / len(times))
    return (f"| {name} | {len(times)} | {per_minute:.1f} | {p50 * 1000:.0f} | {p99 * 1000:.0f} | "
            f"{meta['layer_count']} | {meta['print_time_text']} | {meta['filament_used_m']} m / "
            f"{meta['filament_used_g']} g | {size / 1024:.0f} KiB |")


async def run(runs: int = 10) -> str:
    from printing.slicing import PlanarSlicer, PrintProfile, PrusaSlicer, SliceSource, metadata, prusa_binary
    from printing.slicing.planar import slice_bytes

    stl = simulated_model_stl()
    profile = PrintProfile()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {0})  # one core; slicer subprocesses inherit it

    async def load() -> bytes:
        return stl

    source = SliceSource("bench", "file:///bench.stl", "stl", load)
    rows = []
    times, gcode = [], ""
    for _ in range(runs):
        start = time.perf_counter()
        gcode = slice_bytes(stl, "stl", profile)
        times.append(time.perf_counter() - start)
    rows.append(_row("lumi-planar, in-process", times, metadata(gcode), len(gcode)))
    slicers = [("lumi-planar, subprocess (as the service runs it)", PlanarSlicer())]
    if prusa_binary():
        slicers.append(("prusa-slicer CLI (as the service runs it)", PrusaSlicer()))
    for name, slicer in slicers:
        times = []
        for _ in range(max(3, runs // 2)):
            start = time.perf_counter()
            gcode = await slicer.slice(source, profile, timeout=600)
            times.append(time.perf_counter() - start)
        rows.append(_row(name, times, metadata(gcode), len(gcode)))
    return "\n".join([
        "### Slicing the simulated model (80 mm relief, "
        f"{len(stl) // 50:,} triangles; 0.2 mm layers, 20 % infill; one core)", "",
        "| slicer | runs | models/min | p50 ms | p99 ms | layers | print time | filament | G-code |",
        "|---|---|---|---|---|---|---|---|---|", *rows])


if __name__ == "__main__":
    print(asyncio.run(run()))
