"""Binary glTF 2.0 (GLB) writer and a small structural reader, with struct and numpy only.

Layout: 12-byte header (`glTF`, version 2, total length), a JSON chunk padded with spaces
and a BIN chunk padded with zeros, both 4-byte aligned. One mesh, one primitive
(POSITION, NORMAL?, TEXCOORD_0?, indices), the texture (if any) embedded in the buffer.
"""

import json
import struct
from typing import Any

import numpy as np

MAGIC = b"glTF"
JSON_CHUNK = 0x4E4F534A
BIN_CHUNK = 0x004E4942
FLOAT, UINT16, UINT32 = 5126, 5123, 5125
ARRAY_BUFFER, ELEMENT_ARRAY_BUFFER = 34962, 34963
LINEAR, CLAMP_TO_EDGE = 9729, 33071


def _pad(data: bytes, fill: bytes) -> bytes:
    return data + fill * (-len(data) % 4)


class _Buffer:
    def __init__(self) -> None:
        self.parts: list[bytes] = []
        self.length = 0
        self.views: list[dict[str, Any]] = []

    def add(self, data: bytes, target: int | None = None) -> int:
        view: dict[str, Any] = {"buffer": 0, "byteOffset": self.length, "byteLength": len(data)}
        if target:
            view["target"] = target
        padded = _pad(data, b"\x00")
        self.parts.append(padded)
        self.length += len(padded)
        self.views.append(view)
        return len(self.views) - 1


def write_glb(positions: np.ndarray, indices: np.ndarray, *, normals: np.ndarray | None = None,
              uvs: np.ndarray | None = None, texture: bytes | None = None,
              texture_mime: str = "image/png", name: str = "model") -> bytes:
    """`uvs` in glTF convention (v = 0 at the image's top row)."""
    positions = np.ascontiguousarray(positions, dtype=np.float32)
    flat = np.ascontiguousarray(indices, dtype=np.int64).ravel()
    index_type, index_dtype = (UINT16, "<u2") if len(positions) < 65536 else (UINT32, "<u4")
    buffer = _Buffer()
    accessors: list[dict[str, Any]] = []

    def accessor(array: np.ndarray, kind: str, component: int, target: int,
                 bounds: bool = False) -> int:
        entry: dict[str, Any] = {"bufferView": buffer.add(array.tobytes(), target),
                                 "componentType": component, "count": int(len(array)),
                                 "type": kind}
        if bounds:
            entry["min"] = [float(x) for x in array.min(axis=0)]
            entry["max"] = [float(x) for x in array.max(axis=0)]
        accessors.append(entry)
        return len(accessors) - 1

    attributes = {"POSITION": accessor(positions, "VEC3", FLOAT, ARRAY_BUFFER, bounds=True)}
    if normals is not None:
        attributes["NORMAL"] = accessor(np.ascontiguousarray(normals, dtype=np.float32),
                                        "VEC3", FLOAT, ARRAY_BUFFER)
    if uvs is not None:
        attributes["TEXCOORD_0"] = accessor(np.ascontiguousarray(uvs, dtype=np.float32),
                                            "VEC2", FLOAT, ARRAY_BUFFER)
    index_accessor = accessor(flat.astype(index_dtype), "SCALAR", index_type,
                              ELEMENT_ARRAY_BUFFER)
    accessors[index_accessor]["min"] = [int(flat.min())] if len(flat) else [0]
    accessors[index_accessor]["max"] = [int(flat.max())] if len(flat) else [0]
    pbr: dict[str, Any] = {"metallicFactor": 0.0, "roughnessFactor": 0.9}
    doc: dict[str, Any] = {
        "asset": {"version": "2.0", "generator": "lumi-modeling"},
        "scene": 0, "scenes": [{"nodes": [0]}], "nodes": [{"mesh": 0, "name": name}],
        "meshes": [{"name": name, "primitives": [
            {"attributes": attributes, "indices": index_accessor, "material": 0, "mode": 4}]}],
        "materials": [{"name": "material", "pbrMetallicRoughness": pbr}],
        "accessors": accessors,
    }
    if texture is not None and uvs is not None:
        image_view = buffer.add(texture)
        doc["images"] = [{"bufferView": image_view, "mimeType": texture_mime}]
        doc["samplers"] = [{"magFilter": LINEAR, "minFilter": LINEAR,
                            "wrapS": CLAMP_TO_EDGE, "wrapT": CLAMP_TO_EDGE}]
        doc["textures"] = [{"source": 0, "sampler": 0}]
        pbr["baseColorTexture"] = {"index": 0}
    else:
        pbr["baseColorFactor"] = [0.8, 0.8, 0.8, 1.0]
    doc["bufferViews"] = buffer.views
    doc["buffers"] = [{"byteLength": buffer.length}]
    json_chunk = _pad(json.dumps(doc, separators=(",", ":")).encode(), b" ")
    bin_chunk = b"".join(buffer.parts)
    total = 12 + 8 + len(json_chunk) + 8 + len(bin_chunk)
    return b"".join([struct.pack("<4sII", MAGIC, 2, total),
                     struct.pack("<II", len(json_chunk), JSON_CHUNK), json_chunk,
                     struct.pack("<II", len(bin_chunk), BIN_CHUNK), bin_chunk])


def read_glb(data: bytes) -> tuple[dict[str, Any], bytes]:
    """Validate the container and return (json, bin); raises ValueError when malformed."""
    if len(data) < 20:
        raise ValueError("too short for a GLB")
    magic, version, total = struct.unpack_from("<4sII", data, 0)
    if magic != MAGIC or version != 2 or total != len(data):
        raise ValueError("bad GLB header")
    offset, chunks = 12, []
    while offset < total:
        length, kind = struct.unpack_from("<II", data, offset)
        if length % 4 or offset + 8 + length > total:
            raise ValueError("bad GLB chunk")
        chunks.append((kind, data[offset + 8: offset + 8 + length]))
        offset += 8 + length
    if not chunks or chunks[0][0] != JSON_CHUNK:
        raise ValueError("GLB must start with a JSON chunk")
    binary = chunks[1][1] if len(chunks) > 1 and chunks[1][0] == BIN_CHUNK else b""
    return json.loads(chunks[0][1]), binary


def read_accessor(doc: dict[str, Any], binary: bytes, index: int) -> np.ndarray:
    acc = doc["accessors"][index]
    view = doc["bufferViews"][acc["bufferView"]]
    dtype = {FLOAT: "<f4", UINT16: "<u2", UINT32: "<u4"}[acc["componentType"]]
    width = {"SCALAR": 1, "VEC2": 2, "VEC3": 3}[acc["type"]]
    start = view.get("byteOffset", 0) + acc.get("byteOffset", 0)
    array = np.frombuffer(binary, dtype=dtype, count=acc["count"] * width, offset=start)
    return array.reshape(acc["count"], width) if width > 1 else array
