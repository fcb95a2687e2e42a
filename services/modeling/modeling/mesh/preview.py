"""Preview and texture images for a relief (PNG bytes)."""

import io

import numpy as np
from PIL import Image

LIGHT = np.array([-0.5, 0.6, 0.65])


def png_bytes(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=False)
    return out.getvalue()


def texture_image(image: Image.Image, max_side: int = 512) -> Image.Image:
    rgb = image.convert("RGB")
    rgb.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
    return rgb


def hillshade_preview(heights: np.ndarray, texture: Image.Image, *, relief_mm: float,
                      size_mm: float, side: int = 384) -> bytes:
    """The texture lit by a light from the upper left over the relief's heights."""
    colour = texture.convert("RGB").copy()
    colour.thumbnail((side, side), Image.Resampling.LANCZOS)
    w, h = colour.size
    field = Image.fromarray(heights.astype(np.float32), mode="F").resize(
        (w, h), Image.Resampling.BILINEAR)
    z = np.asarray(field, dtype=np.float64) * relief_mm
    pixel_mm = size_mm / max(w, h)
    gy, gx = np.gradient(z, pixel_mm)
    normals = np.dstack([-gx, gy, np.ones_like(z)])
    normals /= np.linalg.norm(normals, axis=2, keepdims=True)
    light = LIGHT / np.linalg.norm(LIGHT)
    shade = 0.35 + 0.65 * np.clip(normals @ light, 0.0, 1.0)
    rgb = np.asarray(colour, dtype=np.float64) * shade[..., None] * 1.15
    return png_bytes(Image.fromarray(np.clip(rgb, 0, 255).astype(np.uint8), mode="RGB"))
