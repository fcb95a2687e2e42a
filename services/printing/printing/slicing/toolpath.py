"""Toolpaths of one layer region: perimeters (inward offsets), rectilinear infill, skirt;
and the G-code writer that turns paths into moves with consistent extrusion."""

import math

import numpy as np
import shapely
from shapely.geometry import LineString, MultiLineString, MultiPolygon, Polygon

from .profile import PrintProfile
from .sections import overlay


def rings_of(region) -> list[np.ndarray]:
    """Closed rings (exteriors and holes) of a (multi)polygon as coordinate arrays."""
    polys = region.geoms if isinstance(region, MultiPolygon) else [region]
    rings = []
    for poly in polys:
        if not isinstance(poly, Polygon) or poly.is_empty:
            continue
        for ring in (poly.exterior, *poly.interiors):
            coords = np.asarray(ring.simplify(0.02).coords)
            if len(coords) >= 4:
                rings.append(coords)
    return rings


def spacing(p: PrintProfile, height: float) -> float:
    """Centre distance of touching extrusions (Slic3r's flow spacing): w - h * (1 - pi/4)."""
    return p.extrusion_width - height * (1 - math.pi / 4)


def perimeters(region, p: PrintProfile) -> list[np.ndarray]:
    w, s = p.extrusion_width, spacing(p, p.layer_height)
    loops: list[np.ndarray] = []
    for k in range(p.perimeters):
        shell = region.buffer(-(w / 2 + k * s), quad_segs=4)
        if shell.is_empty:
            break
        loops.extend(rings_of(shell))
    return loops


def infill_lines(area, spacing: float, angle: float) -> list[np.ndarray]:
    """Parallel lines `spacing` apart at `angle` degrees clipped to `area`, in snake order.

    The lines are laid out in the area's own frame and clipped to the area as it is: turning
    the area instead can make a valid region self-intersect (float rounding), and GEOS then
    refuses the clip."""
    if area.is_empty or spacing <= 0:
        return []
    theta = math.radians(angle)
    along = np.array([math.cos(theta), math.sin(theta)])
    across = np.array([-math.sin(theta), math.cos(theta)])
    centre = np.asarray(area.centroid.coords[0])
    points = shapely.get_coordinates(area) - centre
    u, v = points @ along, points @ across
    vs = np.arange(v.min() + spacing / 2, v.max(), spacing)
    if len(vs) == 0:
        return []
    u0, u1 = u.min() - 1, u.max() + 1
    grid = MultiLineString([[centre + u0 * along + y * across, centre + u1 * along + y * across]
                            for y in vs])
    clipped = overlay(shapely.intersection, area, grid)
    parts = getattr(clipped, "geoms", [clipped])
    segments = []
    for g in parts:
        if isinstance(g, LineString) and g.length > 0.05:
            seg = np.asarray(g.coords)
            if (seg[-1] - seg[0]) @ along < 0:
                seg = seg[::-1]
            segments.append(seg)
    segments.sort(key=lambda s: (round(float((s[0] - centre) @ across), 3),
                                 float((s[0] - centre) @ along)))
    return [seg if i % 2 == 0 else seg[::-1] for i, seg in enumerate(segments)]


def skirt(region, p: PrintProfile) -> list[np.ndarray]:
    if region.is_empty or p.skirt_loops <= 0:
        return []
    hull = region.convex_hull
    return [c for k in range(p.skirt_loops)
            for c in rings_of(hull.buffer(p.skirt_distance + k * p.extrusion_width,
                                          quad_segs=4))]


class GcodeWriter:
    """Relative extrusion (M83); E per mm from the extrusion cross-section (Slic3r's
    rounded rectangle: (w - h) * h + pi * (h/2)^2) over the filament cross-section."""

    def __init__(self, p: PrintProfile) -> None:
        self.p = p
        self.lines: list[str] = []
        self.x = self.y = 0.0
        self.z = 0.0
        self.retracted = False
        self.filament_area = math.pi * (p.filament_diameter / 2) ** 2

    def e_per_mm(self, height: float) -> float:
        w = self.p.extrusion_width
        return ((w - height) * height + math.pi * (height / 2) ** 2) / self.filament_area

    def emit(self, line: str) -> None:
        self.lines.append(line)

    def travel(self, x: float, y: float) -> None:
        far = math.hypot(x - self.x, y - self.y) > 2.0
        if far and not self.retracted:
            self.emit(f"G1 E-{self.p.retract_length:.3f} F2400")
            self.retracted = True
        self.emit(f"G0 X{x:.3f} Y{y:.3f} F{self.p.travel_speed * 60:.0f}")
        self.x, self.y = x, y

    def layer(self, index: int, z: float, height: float) -> None:
        self.emit(";LAYER_CHANGE")
        self.emit(f";Z:{z:.3f}")
        self.emit(f";HEIGHT:{height:.3f}")
        self.emit(f";LAYER:{index}")
        self.emit(f"G0 Z{z:.3f} F{self.p.travel_speed * 60:.0f}")
        self.z = z

    def path(self, coords: np.ndarray, speed: float, height: float, kind: str) -> None:
        if len(coords) < 2:
            return
        self.emit(f";TYPE:{kind}")
        self.travel(float(coords[0][0]), float(coords[0][1]))
        if self.retracted:
            self.emit(f"G1 E{self.p.retract_length:.3f} F2400")
            self.retracted = False
        k = self.e_per_mm(height)
        feed = f" F{speed * 60:.0f}"
        for x, y in coords[1:]:
            d = math.hypot(x - self.x, y - self.y)
            if d < 1e-4:
                continue
            self.emit(f"G1 X{x:.3f} Y{y:.3f} E{d * k:.5f}{feed}")
            feed = ""
            self.x, self.y = float(x), float(y)


def solid_and_sparse(fill, below: list, above: list, p: PrintProfile, index: int, total: int):
    """Solid where the layer is near the bottom or top of the part (not covered by the
    next `top_layers` or supported by the previous `bottom_layers` regions), else sparse."""
    if p.infill_density >= 0.999 or index < p.bottom_layers or index + p.top_layers >= total:
        return fill, Polygon()
    inner = fill
    for region in above[: p.top_layers] + below[-p.bottom_layers:]:
        inner = overlay(shapely.intersection, inner, region)
    inner = shapely.make_valid(inner)
    return overlay(shapely.difference, fill, inner), inner
