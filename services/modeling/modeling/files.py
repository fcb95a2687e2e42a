"""Where a model's files live, and moving them when a model turns private.

Files are stored under `models/{modelId}/{fileKey}/`, `fileKey` 128 random bits: knowing a
model id gives no file. A public model keeps its key (stable, cacheable URLs); turning it
private copies the files under a fresh key and deletes the old ones, so every URL that was
ever public stops working (404). Deleting a model removes `models/{modelId}/` entirely.
Models stored before keys existed have no `file_key` and files directly under the id.
"""

import asyncio
import secrets
from dataclasses import dataclass, field
from typing import Any

from lumi_shared.contracts import ModelFiles
from lumi_shared.storage import content_type_for

URL_FIELDS = ("model_url", "glb_url", "obj_url", "mtl_url", "texture_url", "stl_url",
              "preview_image_url")


def new_file_key() -> str:
    return secrets.token_urlsafe(16)


def file_prefix(model_id: str, file_key: str | None) -> str:
    return f"models/{model_id}/{file_key}/" if file_key else f"models/{model_id}/"


def key_of(storage: Any, url: str | None) -> str | None:
    """The storage key behind one of our public URLs (None for any other URL)."""
    base = f"{storage.public_base_url}/"
    return url[len(base):] if url and url.startswith(base) else None


def files_of(fields: dict[str, Any]) -> ModelFiles:
    return ModelFiles(**{k: fields.get(k) for k in (*URL_FIELDS, "format", "file_size",
                                                     "face_count", "vertex_count")})


@dataclass
class Rekeyed:
    """Copies of a model's files under a new key: `urls` replace the document's fields."""

    file_key: str
    urls: dict[str, str] = field(default_factory=dict)
    old_keys: list[str] = field(default_factory=list)
    new_keys: list[str] = field(default_factory=list)


async def copy_to_new_key(doc: dict[str, Any], storage: Any) -> Rekeyed:
    old_prefix = file_prefix(doc["_id"], doc.get("file_key"))
    moved = Rekeyed(new_file_key())
    new_prefix = file_prefix(doc["_id"], moved.file_key)
    copies: dict[str, str] = {}
    for name in URL_FIELDS:
        old = key_of(storage, doc.get(name))
        if old is None or not old.startswith(old_prefix):
            continue  # e.g. the preview is the task's image, not one of the model's files
        copies.setdefault(old, new_prefix + old[len(old_prefix):])
        moved.urls[name] = storage.url(copies[old])
    try:
        await asyncio.gather(*(storage.copy(src, dst) for src, dst in copies.items()))
    except BaseException:
        await delete_keys(storage, list(copies.values()))
        raise
    moved.old_keys, moved.new_keys = list(copies), list(copies.values())
    return moved


async def delete_keys(storage: Any, keys: list[str]) -> None:
    await asyncio.gather(*(storage.delete(k) for k in keys))


PRIMARY = {"GLB": "model.glb", "OBJ": "model.obj", "STL": "model.stl"}


async def store_files(storage: Any, doc: dict[str, Any], result: Any,
                      default_format: str) -> ModelFiles:
    """Put a generated model's files under the model's prefix; their URLs, the primary file
    being the default format's when the provider made it."""
    prefix = file_prefix(doc["_id"], doc.get("file_key"))

    async def put(name: str, data: bytes) -> tuple[str, str]:
        key = prefix + name
        return name, await storage.put(key, data, content_type_for(key))

    urls = dict(await asyncio.gather(*(put(n, d) for n, d in result.files.items())))
    preferred = PRIMARY[default_format]
    primary = next(n for n in (preferred, "model.glb", "model.obj", "model.stl")
                   if n in urls)
    texture = next((urls[n] for n in ("material.png", "material.jpg") if n in urls), None)
    preview = next((urls[n] for n in ("preview.png", "preview.jpg") if n in urls), None)
    return ModelFiles(
        model_url=urls[primary], format=primary.rsplit(".", 1)[1].upper(),
        glb_url=urls.get("model.glb"), obj_url=urls.get("model.obj"),
        mtl_url=urls.get("material.mtl"), texture_url=texture,
        stl_url=urls.get("model.stl"), preview_image_url=preview,
        file_size=len(result.files[primary]), face_count=result.face_count,
        vertex_count=result.vertex_count)
