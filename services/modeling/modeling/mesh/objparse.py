"""Minimal Wavefront OBJ reader for provider results: positions, texture coordinates and
triangulated faces (polygons fanned, negative indices resolved)."""

from dataclasses import dataclass

import numpy as np


class ObjError(ValueError):
    pass


@dataclass(frozen=True)
class ObjMesh:
    positions: np.ndarray  # (n, 3)
    faces: np.ndarray  # (m, 3) indices into positions
    uvs: np.ndarray | None  # (k, 2), OBJ convention
    face_uvs: np.ndarray | None  # (m, 3) indices into uvs, when every face has them

    def welded(self) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
        """One vertex per (position, uv) pair, as GPU formats need: (positions, faces, uvs)."""
        if self.uvs is None or self.face_uvs is None:
            return self.positions, self.faces, None
        pairs = self.faces.ravel() * (len(self.uvs) + 1) + self.face_uvs.ravel()
        unique, first, inverse = np.unique(pairs, return_index=True, return_inverse=True)
        position_index = self.faces.ravel()[first]
        uv_index = self.face_uvs.ravel()[first]
        return (self.positions[position_index], inverse.reshape(-1, 3),
                self.uvs[uv_index])


def _index(token: str, count: int) -> int:
    value = int(token)
    resolved = value - 1 if value > 0 else count + value
    if value == 0 or not 0 <= resolved < count:
        raise ObjError("face index out of range")
    return resolved


def parse_obj(data: bytes, *, max_faces: int = 2_000_000) -> ObjMesh:
    positions: list[list[float]] = []
    uvs: list[list[float]] = []
    faces: list[tuple[int, int, int]] = []
    face_uvs: list[tuple[int, int, int]] = []
    all_uv = True
    try:
        for raw in data.decode("utf-8", errors="replace").splitlines():
            parts = raw.split()
            if not parts:
                continue
            head = parts[0]
            if head == "v":
                positions.append([float(x) for x in parts[1:4]])
            elif head == "vt":
                uvs.append([float(x) for x in parts[1:3]])
            elif head == "f":
                corners = [p.split("/") for p in parts[1:]]
                if len(corners) < 3:
                    raise ObjError("face with fewer than 3 corners")
                vi = [_index(c[0], len(positions)) for c in corners]
                has_uv = all(len(c) > 1 and c[1] for c in corners)
                ti = [_index(c[1], len(uvs)) for c in corners] if has_uv else None
                all_uv = all_uv and has_uv
                for k in range(1, len(vi) - 1):
                    faces.append((vi[0], vi[k], vi[k + 1]))
                    if ti:
                        face_uvs.append((ti[0], ti[k], ti[k + 1]))
                if len(faces) > max_faces:
                    raise ObjError("too many faces")
    except (ValueError, IndexError) as exc:
        raise ObjError(f"unreadable OBJ: {exc}") from exc
    if not positions or not faces:
        raise ObjError("OBJ has no geometry")
    try:
        pos = np.array(positions, dtype=np.float64).reshape(-1, 3)
        tri = np.array(faces, dtype=np.int64)
        if all_uv and uvs and len(face_uvs) == len(faces):
            return ObjMesh(pos, tri, np.array(uvs, dtype=np.float64).reshape(-1, 2),
                           np.array(face_uvs, dtype=np.int64))
    except ValueError as exc:
        raise ObjError(f"malformed OBJ coordinates: {exc}") from None
    return ObjMesh(pos, tri, None, None)
