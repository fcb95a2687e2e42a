"""Text and binary mesh formats: Wavefront OBJ + MTL, binary STL."""

import io

import numpy as np

STL_TRIANGLE = np.dtype([("normal", "<f4", (3,)), ("vertices", "<f4", (3, 3)),
                         ("attr", "<u2")])


def write_obj(vertices: np.ndarray, faces: np.ndarray, uvs: np.ndarray | None = None, *,
              mtl_name: str | None = "material.mtl", material: str = "material") -> bytes:
    """OBJ with one texture coordinate per vertex (`f a/a b/b c/c`), 1-based indices."""
    out = io.StringIO()
    out.write("# Lumi model\n")
    if mtl_name:
        out.write(f"mtllib {mtl_name}\n")
    out.write("o model\n")
    np.savetxt(out, vertices, fmt="v %.6f %.6f %.6f")
    one_based = np.asarray(faces, dtype=np.int64) + 1
    if uvs is not None:
        np.savetxt(out, uvs, fmt="vt %.5f %.5f")
        if mtl_name:
            out.write(f"usemtl {material}\n")
        np.savetxt(out, np.repeat(one_based, 2, axis=1), fmt="f %d/%d %d/%d %d/%d")
    else:
        np.savetxt(out, one_based, fmt="f %d %d %d")
    return out.getvalue().encode()


def write_mtl(texture_name: str | None = "material.png", material: str = "material") -> bytes:
    lines = [f"newmtl {material}", "Ka 1.000 1.000 1.000", "Kd 1.000 1.000 1.000",
             "Ks 0.000 0.000 0.000", "d 1.0", "illum 1"]
    if texture_name:
        lines.append(f"map_Kd {texture_name}")
    return ("\n".join(lines) + "\n").encode()


def face_normals(vertices: np.ndarray, faces: np.ndarray) -> np.ndarray:
    tri = vertices[faces]
    normals = np.cross(tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0])
    length = np.linalg.norm(normals, axis=1, keepdims=True)
    length[length == 0] = 1.0
    return normals / length


def write_stl(vertices: np.ndarray, faces: np.ndarray, header: str = "Lumi model") -> bytes:
    """Binary STL: 80-byte header, uint32 count, 50 bytes per triangle (little endian)."""
    vertices = np.asarray(vertices, dtype=np.float64)
    faces = np.asarray(faces, dtype=np.int64)
    records = np.zeros(len(faces), dtype=STL_TRIANGLE)
    records["normal"] = face_normals(vertices, faces)
    records["vertices"] = vertices[faces]
    head = header.encode()[:80].ljust(80, b" ")
    return head + np.uint32(len(faces)).tobytes() + records.tobytes()


def read_stl(data: bytes) -> tuple[np.ndarray, np.ndarray]:
    """Binary STL back to (vertices, faces) with vertices merged by exact position."""
    count = int(np.frombuffer(data, dtype="<u4", count=1, offset=80)[0])
    if len(data) != 84 + 50 * count:
        raise ValueError("binary STL size does not match its triangle count")
    records = np.frombuffer(data, dtype=STL_TRIANGLE, count=count, offset=84)
    corners = records["vertices"].reshape(-1, 3)
    unique, inverse = np.unique(corners, axis=0, return_inverse=True)
    return unique.astype(np.float64), inverse.reshape(-1, 3)
