"""Object storage for images and model files: a local folder (embedded/dev) behind one interface."""

import asyncio
import os
import shutil
from pathlib import Path
from typing import Protocol

CONTENT_TYPES = {
    ".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".webp": "image/webp",
    ".glb": "model/gltf-binary", ".gltf": "model/gltf+json", ".obj": "model/obj",
    ".mtl": "model/mtl", ".stl": "model/stl", ".gcode": "text/x-gcode", ".zip": "application/zip",
}


def content_type_for(key: str) -> str:
    return CONTENT_TYPES.get(Path(key).suffix.lower(), "application/octet-stream")


def _safe_key(key: str) -> str:
    parts = key.split("/")
    if not key or key.startswith("/") or any(p in ("", ".", "..") for p in parts) or "\\" in key:
        raise ValueError(f"unsafe storage key: {key!r}")
    return key


class ObjectStorage(Protocol):
    async def put(self, key: str, data: bytes, content_type: str | None = None) -> str: ...
    async def get(self, key: str) -> bytes: ...
    async def delete_prefix(self, prefix: str) -> int: ...
    def url(self, key: str) -> str: ...
    async def ping(self) -> bool: ...


class LocalObjectStorage:
    """Files under `root`; public URLs are `public_base_url/<key>` (served by the gateway)."""

    def __init__(self, root: Path, public_base_url: str) -> None:
        self.root = Path(root)
        self.public_base_url = public_base_url.rstrip("/")

    def path(self, key: str) -> Path:
        return self.root / _safe_key(key)

    def url(self, key: str) -> str:
        return f"{self.public_base_url}/{_safe_key(key)}"

    def _write(self, key: str, data: bytes) -> None:
        target = self.path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(f".{target.name}.tmp")
        tmp.write_bytes(data)
        os.replace(tmp, target)

    async def put(self, key: str, data: bytes, content_type: str | None = None) -> str:
        await asyncio.to_thread(self._write, key, data)
        return self.url(key)

    async def get(self, key: str) -> bytes:
        return await asyncio.to_thread(self.path(key).read_bytes)

    async def delete_prefix(self, prefix: str) -> int:
        target = self.path(prefix.rstrip("/"))
        if target.is_dir():
            count = sum(1 for p in target.rglob("*") if p.is_file())
            await asyncio.to_thread(shutil.rmtree, target, True)
            return count
        if target.is_file():
            target.unlink()
            return 1
        return 0

    async def ping(self) -> bool:
        self.root.mkdir(parents=True, exist_ok=True)
        return os.access(self.root, os.W_OK)


def create_storage(settings) -> ObjectStorage:
    """The object storage selected by `STORAGE_BACKEND` (local folder under `$LUMI_DATA_DIR/files`)."""
    if settings.STORAGE_BACKEND == "local":
        return LocalObjectStorage(settings.LUMI_DATA_DIR / "files", settings.STORAGE_PUBLIC_BASE_URL)
    raise ValueError(f"storage backend {settings.STORAGE_BACKEND!r} is not available")
