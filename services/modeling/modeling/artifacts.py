"""Turning mesh data into the stored file set (CPU work: call through asyncio.to_thread)."""

import io

import numpy as np
from PIL import Image

from .mesh import check_mesh, height_field, relief_mesh
from .mesh.formats import write_mtl, write_obj, write_stl
from .mesh.glb import write_glb
from .mesh.objparse import ObjError, parse_obj
from .mesh.preview import hillshade_preview, png_bytes, texture_image
from .mesh.relief import Mesh, vertex_normals
from .providers.base import GeneratedModel, ProviderError


def open_image(data: bytes) -> Image.Image:
    try:
        image = Image.open(io.BytesIO(data))
        image.load()
    except Exception as exc:
        raise ProviderError(f"unreadable source image: {type(exc).__name__}",
                            retryable=False) from None
    if image.width * image.height > 50_000_000:
        raise ProviderError("source image too large", retryable=False)
    return image


def build_relief(image: Image.Image, *, resolution: int, size_mm: float, base_mm: float,
                 relief_mm: float) -> tuple[np.ndarray, Mesh]:
    heights = height_field(image, resolution)
    mesh = relief_mesh(heights, size_mm=size_mm, base_mm=base_mm, relief_mm=relief_mm)
    report = check_mesh(mesh.vertices, mesh.faces)
    if not report.printable:  # a bug, not bad input: fail loudly rather than ship it
        raise ProviderError(f"relief mesh is not printable: {report}", retryable=False)
    return heights, mesh


DISPLAY_HALF_EXTENT = 1.0  # display formats span about +-1 unit, like the AI provider's models


def display_frame(vertices_mm: np.ndarray) -> np.ndarray:
    """Z-up millimetres (print frame) -> Y-up display units: centred on the origin, the
    longest side spanning 2 * DISPLAY_HALF_EXTENT (viewers with a fixed camera show it whole).
    A proper rotation (det +1), so winding and outward normals are kept."""
    yup = np.column_stack([vertices_mm[:, 0], vertices_mm[:, 2], -vertices_mm[:, 1]])
    centre = (yup.max(axis=0) + yup.min(axis=0)) / 2
    extent = float(np.ptp(yup, axis=0).max()) or 1.0
    return (yup - centre) * (2 * DISPLAY_HALF_EXTENT / extent)


def relief_obj_files(mesh: Mesh, texture: Image.Image) -> dict[str, bytes]:
    """OBJ (display units) + MTL + texture; the STL stays in millimetres for printing."""
    return {"model.obj": write_obj(display_frame(mesh.vertices), mesh.faces, mesh.uvs),
            "material.mtl": write_mtl("material.png"),
            "material.png": png_bytes(texture)}


def relief_glb(mesh: Mesh, texture_png: bytes) -> bytes:
    display = display_frame(mesh.vertices)
    gl_uvs = np.column_stack([mesh.uvs[:, 0], 1.0 - mesh.uvs[:, 1]])
    return write_glb(display, mesh.faces, normals=vertex_normals(display, mesh.faces),
                     uvs=gl_uvs, texture=texture_png)


def relief_preview(heights: np.ndarray, texture: Image.Image, *, size_mm: float,
                   relief_mm: float) -> bytes:
    return hillshade_preview(heights, texture, relief_mm=relief_mm, size_mm=size_mm)


def _texture(files: dict[str, bytes]) -> tuple[bytes | None, str]:
    for name, mime in (("material.png", "image/png"), ("material.jpg", "image/jpeg"),
                       ("material.jpeg", "image/jpeg")):
        if name in files:
            return files[name], mime
    return None, "image/png"


def to_print_frame(positions: np.ndarray, size_mm: float) -> np.ndarray:
    """Y-up model units -> Z-up millimetres resting on z=0, longest side `size_mm`."""
    zup = np.column_stack([positions[:, 0], -positions[:, 2], positions[:, 1]])
    extent = float(np.ptp(zup, axis=0).max()) or 1.0
    scaled = zup * (size_mm / extent)
    centre = (scaled.max(axis=0) + scaled.min(axis=0)) / 2
    centre[2] = scaled[:, 2].min()
    return scaled - centre


def complete_from_obj(model: GeneratedModel, *, print_size_mm: float) -> GeneratedModel:
    """Fill in counts, STL and GLB for a provider that only returned OBJ (+MTL, texture).
    A conversion problem leaves the OBJ as the model (the files stay usable)."""
    obj = model.files.get("model.obj")
    if obj is None:
        raise ProviderError("provider result has no OBJ model")
    try:
        parsed = parse_obj(obj)
    except ObjError as exc:
        raise ProviderError(str(exc)) from None
    model.face_count, model.vertex_count = len(parsed.faces), len(parsed.positions)
    model.files.setdefault("model.stl", write_stl(
        to_print_frame(parsed.positions, print_size_mm), parsed.faces))
    if "model.glb" not in model.files:
        positions, faces, uvs = parsed.welded()
        texture, mime = _texture(model.files)
        gl_uvs = None if uvs is None else np.column_stack([uvs[:, 0], 1.0 - uvs[:, 1]])
        model.files["model.glb"] = write_glb(
            positions, faces, normals=vertex_normals(positions, faces), uvs=gl_uvs,
            texture=texture if gl_uvs is not None else None, texture_mime=mime)
    return model


__all__ = ["open_image", "display_frame", "build_relief", "relief_obj_files", "relief_glb", "relief_preview",
           "complete_from_obj", "texture_image", "write_stl"]
