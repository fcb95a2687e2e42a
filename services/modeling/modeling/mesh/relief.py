"""A printable relief of an image: a height field from the image on a solid base.

The solid is closed (every edge shared by exactly two triangles), consistently oriented
(counter-clockwise seen from outside, so normals point outward) and has positive volume:
top surface from the height field, four walls down to z=0, and a bottom fanned from a
centre vertex (no zero-area triangles).
"""

from dataclasses import dataclass

import numpy as np
from PIL import Image


@dataclass(frozen=True)
class Mesh:
    vertices: np.ndarray  # (n, 3) float64, millimetres, z up, image in the XY plane
    faces: np.ndarray  # (m, 3) int64
    uvs: np.ndarray  # (n, 2) float64, OBJ convention: v = 0 at the image's bottom row

    @property
    def face_count(self) -> int:
        return int(len(self.faces))

    @property
    def vertex_count(self) -> int:
        return int(len(self.vertices))


def height_field(image: Image.Image, resolution: int) -> np.ndarray:
    """Heights in [0, 1] on a grid whose longer side has `resolution` samples.

    Height is the luminance distance from the background (median of the border), so the
    subject stands out whether it is darker or lighter than its backdrop."""
    rgb = image.convert("RGB")
    scale = resolution / max(rgb.size)
    nx = max(8, round(rgb.size[0] * scale))
    ny = max(8, round(rgb.size[1] * scale))
    small = rgb.resize((nx, ny), Image.Resampling.BOX)
    lum = np.asarray(small.convert("L"), dtype=np.float64) / 255.0
    border = np.concatenate([lum[0], lum[-1], lum[:, 0], lum[:, -1]])
    distance = np.abs(lum - np.median(border))
    padded = np.pad(distance, 1, mode="edge")
    smooth = sum(padded[dy:dy + ny, dx:dx + nx] for dy in range(3) for dx in range(3)) / 9.0
    peak = max(float(np.percentile(smooth, 99)), 0.05)
    return np.clip(smooth / peak, 0.0, 1.0) ** 0.8


def _boundary_ring(nx: int, ny: int) -> np.ndarray:
    """Top-grid indices around the border, counter-clockwise seen from +z."""
    def idx(j: int, i: int) -> int:
        return j * nx + i

    bottom = [idx(ny - 1, i) for i in range(0, nx - 1)]
    right = [idx(j, nx - 1) for j in range(ny - 1, 0, -1)]
    top = [idx(0, i) for i in range(nx - 1, 0, -1)]
    left = [idx(j, 0) for j in range(0, ny - 1)]
    return np.array(bottom + right + top + left, dtype=np.int64)


def relief_mesh(heights: np.ndarray, *, size_mm: float = 80.0, base_mm: float = 3.0,
                relief_mm: float = 8.0) -> Mesh:
    ny, nx = heights.shape
    if nx < 2 or ny < 2 or base_mm <= 0:
        raise ValueError("a relief needs a grid of at least 2x2 and a positive base")
    step = size_mm / (max(nx, ny) - 1)
    xs = (np.arange(nx) - (nx - 1) / 2) * step
    ys = ((ny - 1) / 2 - np.arange(ny)) * step  # row 0 of the image is the top edge
    gx, gy = np.meshgrid(xs, ys)
    top = np.column_stack([gx.ravel(), gy.ravel(), (base_mm + relief_mm * heights).ravel()])
    u, v = np.meshgrid(np.arange(nx) / (nx - 1), 1.0 - np.arange(ny) / (ny - 1))
    top_uv = np.column_stack([u.ravel(), v.ravel()])

    grid = np.arange(nx * ny, dtype=np.int64).reshape(ny, nx)
    a, b = grid[:-1, :-1].ravel(), grid[:-1, 1:].ravel()
    c, d = grid[1:, :-1].ravel(), grid[1:, 1:].ravel()
    top_faces = np.concatenate([np.column_stack([c, d, b]), np.column_stack([c, b, a])])

    ring = _boundary_ring(nx, ny)
    count = len(ring)
    first = nx * ny
    bottom = top[ring].copy()
    bottom[:, 2] = 0.0
    centre = np.array([[0.0, 0.0, 0.0]])
    k = np.arange(count, dtype=np.int64)
    nxt = (k + 1) % count
    ta, tb = ring[k], ring[nxt]
    ba, bb = first + k, first + nxt
    walls = np.concatenate([np.column_stack([ba, bb, tb]), np.column_stack([ba, tb, ta])])
    centre_index = first + count
    fan = np.column_stack([np.full(count, centre_index), bb, ba])

    vertices = np.concatenate([top, bottom, centre])
    uvs = np.concatenate([top_uv, top_uv[ring], [[0.5, 0.5]]])
    faces = np.concatenate([top_faces, walls, fan]).astype(np.int64)
    return Mesh(vertices=vertices, faces=faces, uvs=uvs)


def vertex_normals(vertices: np.ndarray, faces: np.ndarray) -> np.ndarray:
    """Area-weighted vertex normals, unit length (float32)."""
    tri = vertices[faces]
    face_normals = np.cross(tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0])
    normals = np.zeros_like(vertices)
    for corner in range(3):
        np.add.at(normals, faces[:, corner], face_normals)
    length = np.linalg.norm(normals, axis=1, keepdims=True)
    length[length == 0] = 1.0
    return (normals / length).astype(np.float32)
