"""Check that provider bytes really are an image, and store every image as PNG."""

import io

from PIL import Image, UnidentifiedImageError

from .base import ProviderError

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
MAX_PIXELS = 40_000_000


def sniff(data: bytes) -> str | None:
    if data.startswith(PNG_MAGIC):
        return "png"
    if data.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return "gif"
    return None


def to_png(data: bytes) -> bytes:
    """Blocking (run it in a thread): validates and re-encodes anything that is not PNG."""
    kind = sniff(data)
    if kind is None:
        raise ProviderError("The provider returned something that is not an image")
    try:
        with Image.open(io.BytesIO(data)) as probe:
            width, height = probe.size
            if width * height > MAX_PIXELS:
                raise ProviderError("The provider returned an oversized image", retryable=False)
            probe.verify()
        if kind == "png":
            return data
        with Image.open(io.BytesIO(data)) as image:
            image = image.convert("RGBA" if "A" in image.getbands() else "RGB")
            out = io.BytesIO()
            image.save(out, "PNG", optimize=False)
            return out.getvalue()
    except (UnidentifiedImageError, OSError, SyntaxError, Image.DecompressionBombError):
        raise ProviderError("The provider returned a corrupt image") from None
