"""Reading the files a job needs: the model's mesh and a job's G-code - from our own object
storage when the URL is ours, else through the SSRF-safe fetcher."""

from typing import Any

from .deps import Deps
from .slicing import SliceError, SliceSource

MESH_FIELDS = (("stlUrl", "stl"), ("objUrl", "obj"), ("glbUrl", "glb"))


def storage_key(storage: Any, url: str) -> str | None:
    base = storage.url("x")[:-1]
    return url[len(base):] if url.startswith(base) else None


async def read_url(deps: Deps, url: str, max_bytes: int) -> bytes:
    key = storage_key(deps.storage, url)
    if key is not None:
        return await deps.storage.get(key)
    if deps.fetcher is None:
        raise SliceError("fetching files from other hosts is not configured")
    return await deps.fetcher.fetch(url, max_bytes=max_bytes)


def mesh_source(deps: Deps, model: dict[str, Any]) -> SliceSource:
    found = [(model[f], kind) for f, kind in MESH_FIELDS if model.get(f)]
    fmt = str(model.get("format") or "").lower()
    if not found and fmt in ("stl", "obj", "glb") and model.get("modelUrl"):
        found = [(model["modelUrl"], fmt)]
    if not found:
        raise SliceError("the model has no mesh file that can be sliced")
    url, kind = found[0]

    async def load() -> bytes:
        return await read_url(deps, url, deps.settings.MODEL_MAX_BYTES)
    return SliceSource(model["_id"], url, kind, load)


async def gcode_bytes(deps: Deps, job: dict[str, Any]) -> bytes:
    if not job.get("gcodeUrl"):
        raise FileNotFoundError("the job has no G-code")
    return await read_url(deps, job["gcodeUrl"], deps.settings.GCODE_MAX_BYTES)
