"""Stored files at `/files/...` (local storage backend), with 3D model content types."""

import mimetypes
from pathlib import Path

from fastapi import FastAPI
from starlette.staticfiles import StaticFiles

from .config import Settings

for _ext, _type in ((".glb", "model/gltf-binary"), (".gltf", "model/gltf+json"),
                    (".obj", "model/obj"), (".mtl", "model/mtl"), (".stl", "model/stl")):
    mimetypes.add_type(_type, _ext)


def mount_files(app: FastAPI, settings: Settings) -> None:
    if settings.STORAGE_BACKEND != "local":
        return
    files = Path(settings.FILES_DIR or settings.LUMI_DATA_DIR / "files")
    files.mkdir(parents=True, exist_ok=True)
    app.mount("/files", StaticFiles(directory=files), name="files")
