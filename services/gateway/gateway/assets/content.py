"""What the asset proxy serves: content types by extension (api-contract §1.7), image magic
bytes, the first model entry of a ZIP, and MTL file references pointed at the proxy."""

from pathlib import PurePosixPath
from urllib.parse import quote, unquote, urljoin, urlsplit

from lumi_shared.archive import (
    ArchiveLimits,
    base_name,
    is_zip,
    read_archive,
    rewrite_mtl_references,
)

MODEL_TYPES = {
    "glb": "model/gltf-binary", "gltf": "model/gltf+json", "obj": "text/plain",
    "mtl": "text/plain", "png": "image/png", "jpg": "image/jpeg", "jpeg": "image/jpeg",
    "gif": "image/gif", "webp": "image/webp"}
MODEL_ENTRIES = (".obj", ".glb", ".gltf")


def extension(name: str) -> str:
    return PurePosixPath(unquote(name)).suffix.lower().lstrip(".")


def url_extension(url: str) -> str:
    return extension(urlsplit(url).path)


def model_type(name: str) -> str:
    return MODEL_TYPES.get(extension(name), "application/octet-stream")


def image_type(data: bytes) -> str | None:
    """The image type the bytes really are (PNG, JPEG, GIF, WebP), else None."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data.startswith((b"GIF87a", b"GIF89a")):
        return "image/gif"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None


def is_archive(url: str, data: bytes) -> bool:
    return url_extension(url) == "zip" or is_zip(data)


def first_model_entry(data: bytes, limits: ArchiveLimits) -> tuple[str, bytes] | None:
    """The archive's first .obj/.glb/.gltf entry (sanitised name, bytes), or None.
    Raises lumi_shared.archive.ArchiveError for a broken archive or one over the limits."""
    found = read_archive(data, limits, lambda n: n.lower().endswith(MODEL_ENTRIES), first=1)
    return next(iter(found.items()), None)


def rewrite_mtl(data: bytes, mtl_url: str, proxy_url: str) -> bytes:
    """Every `map_*`/`bump`/... file reference becomes `<proxy_url>?url=<sibling URL>`, so a
    browser loads the textures through the proxy too (each is checked again there)."""
    def through_proxy(args: str) -> str:
        options, _, name = args.rpartition(" ")
        if not (name and base_name(name)):
            return args
        sibling = urljoin(mtl_url, quote(name.replace("\\", "/"), safe="/-_.~"))
        return f"{options + ' ' if options else ''}{proxy_url}?url={quote(sibling, safe='')}"

    return rewrite_mtl_references(data, through_proxy)


def download_name(name: str, fallback: str) -> str:
    return base_name(PurePosixPath(unquote(name)).name) or fallback
