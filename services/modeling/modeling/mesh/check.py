"""Printability checks on an indexed triangle mesh."""

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class MeshCheck:
    closed: bool  # every edge is shared by exactly two faces
    oriented: bool  # neighbours traverse their shared edge in opposite directions
    volume: float  # signed; positive when the normals point outward
    degenerate_faces: int

    @property
    def printable(self) -> bool:
        return self.closed and self.oriented and self.volume > 0 and not self.degenerate_faces


def check_mesh(vertices: np.ndarray, faces: np.ndarray) -> MeshCheck:
    faces = np.asarray(faces, dtype=np.int64)
    n = int(faces.max()) + 1 if len(faces) else 0
    directed = faces[:, [0, 1, 1, 2, 2, 0]].reshape(-1, 2)
    keys = directed[:, 0] * n + directed[:, 1]
    unique_directed = len(np.unique(keys)) == len(keys)
    undirected = np.sort(directed, axis=1)
    _, counts = np.unique(undirected[:, 0] * n + undirected[:, 1], return_counts=True)
    closed = bool(len(counts)) and bool(np.all(counts == 2))
    reverse = directed[:, 1] * n + directed[:, 0]
    oriented = closed and unique_directed and bool(np.all(np.isin(reverse, keys)))
    tri = np.asarray(vertices, dtype=np.float64)[faces]
    cross = np.cross(tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0])
    volume = float(np.einsum("ij,ij->i", tri[:, 0], np.cross(tri[:, 1], tri[:, 2])).sum() / 6)
    degenerate = int(np.sum(np.linalg.norm(cross, axis=1) <= 1e-12))
    return MeshCheck(closed=closed, oriented=oriented, volume=volume,
                     degenerate_faces=degenerate)
