"""Planar cross-sections of a triangle mesh: one even-odd region (shapely) per layer.

Each crossing edge yields one point; each face crossing the plane joins its two crossing
edges, so the contours are walked by edge identity (exact topology, no snapping). Loops are
filled by the even-odd rule, so holes and nested islands come out right.
"""

import io

import numpy as np
import shapely
import trimesh
from shapely.geometry import MultiPolygon, Polygon

EPS = 1e-7
GRID = 1e-5  # mm: snap-rounding grid of an overlay retried after a topology conflict


class MeshError(ValueError):
    """The file is not a mesh we can slice."""


def load_mesh(data: bytes, file_type: str) -> trimesh.Trimesh:
    try:
        loaded = trimesh.load(io.BytesIO(data), file_type=file_type.lower(), force="mesh",
                              process=True)
    except Exception as exc:  # trimesh raises many types for bad files
        raise MeshError(f"cannot read the {file_type.upper()} file: {exc}") from exc
    if not isinstance(loaded, trimesh.Trimesh) or len(loaded.faces) == 0:
        raise MeshError("the file holds no triangles")
    return loaded


def _loops(pairs: np.ndarray) -> list[list[int]]:
    """Closed loops in a graph where every node (crossing edge) has two neighbours."""
    neighbours: dict[int, list[int]] = {}
    for a, b in pairs.tolist():
        neighbours.setdefault(a, []).append(b)
        neighbours.setdefault(b, []).append(a)
    seen: set[int] = set()
    loops = []
    for start in neighbours:
        if start in seen:
            continue
        loop, prev, node = [start], None, start
        seen.add(start)
        while True:
            nxt = [n for n in neighbours[node] if n != prev]
            if not nxt:
                break
            prev, node = node, nxt[0]
            if node == start:
                loops.append(loop)
                break
            if node in seen:
                break  # open or non-manifold chain: dropped
            seen.add(node)
            loop.append(node)
    return loops


def section(mesh: trimesh.Trimesh, z: float) -> MultiPolygon:
    vertices = mesh.vertices
    vz = vertices[:, 2]
    if np.any(np.abs(vz - z) < EPS):
        z += 2 * EPS  # keep the plane off vertices: every crossing is a proper edge crossing
    edges = mesh.edges_unique
    above = vz > z
    crossing = above[edges[:, 0]] != above[edges[:, 1]]
    face_edges = mesh.faces_unique_edges
    face_cross = crossing[face_edges]
    hit = face_cross.sum(axis=1) == 2
    if not hit.any():
        return MultiPolygon()
    pairs = face_edges[hit][face_cross[hit]].reshape(-1, 2)
    ids = np.flatnonzero(crossing)
    e = edges[ids]
    z0, z1 = vz[e[:, 0]], vz[e[:, 1]]
    t = (z - z0) / (z1 - z0)
    points = vertices[e[:, 0], :2] + t[:, None] * (vertices[e[:, 1], :2] - vertices[e[:, 0], :2])
    index = {int(edge): i for i, edge in enumerate(ids)}
    rings = []
    for loop in _loops(pairs):
        if len(loop) < 3:
            continue
        poly = Polygon(points[[index[n] for n in loop]])
        if not poly.is_valid:
            poly = shapely.make_valid(poly)
        if poly.area > 1e-6:
            rings.append(poly)
    rings.sort(key=lambda p: p.area, reverse=True)
    region = Polygon()
    for ring in rings:  # even-odd fill
        region = overlay(shapely.symmetric_difference, region, ring)
    return as_multipolygon(region)


def overlay(operation, a, b):
    """A shapely overlay (intersection, difference, ...) that never fails on float rounding:
    if GEOS finds a topology conflict, it is redone with snap-rounding to GRID mm."""
    try:
        return operation(a, b)
    except shapely.errors.GEOSException:
        return operation(shapely.make_valid(a), shapely.make_valid(b), grid_size=GRID)


def as_multipolygon(geom) -> MultiPolygon:
    if geom.is_empty:
        return MultiPolygon()
    if isinstance(geom, Polygon):
        return MultiPolygon([geom])
    if isinstance(geom, MultiPolygon):
        return geom
    parts = [g for g in getattr(geom, "geoms", []) if isinstance(g, Polygon | MultiPolygon)]
    polys: list[Polygon] = []
    for part in parts:
        polys.extend(part.geoms if isinstance(part, MultiPolygon) else [part])
    return MultiPolygon([p for p in polys if not p.is_empty])
