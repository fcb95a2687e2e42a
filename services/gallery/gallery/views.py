"""Projection documents -> the public JSON the web and mobile clients read (camelCase)."""

from typing import Any

from lumi_shared.timeutil import iso

from .domain import FALLBACK_USER_NAME, safe_display_name

_FIELDS = (
    ("name", "name"), ("description", "description"),
    ("previewImageUrl", "preview_image_url"), ("modelUrl", "model_url"), ("format", "format"),
    ("glbUrl", "glb_url"), ("objUrl", "obj_url"), ("mtlUrl", "mtl_url"),
    ("textureUrl", "texture_url"), ("stlUrl", "stl_url"), ("fileSize", "file_size"),
    ("faceCount", "face_count"), ("vertexCount", "vertex_count"),
    ("visibility", "visibility"), ("sliceTaskId", "slice_task_id"),
    ("sliceStatus", "slice_status"), ("gcodeUrl", "gcode_url"), ("printStatus", "print_status"),
)
_DATES = (("publishedAt", "published_at"), ("createdAt", "created_at"),
          ("completedAt", "completed_at"))
_COUNTS = (("likeCount", "like_count"), ("favoriteCount", "favorite_count"),
           ("viewCount", "view_count"), ("downloadCount", "download_count"))



def owner_of(doc: dict[str, Any], users: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """`{id, name, avatar}`: auth's current name, else the name modeling sent, else a neutral
    one. Never an e-mail address."""
    user_id = doc.get("user_id")
    known = users.get(user_id) or {}
    name = (safe_display_name(known.get("name")) or safe_display_name(doc.get("owner_name"))
            or FALLBACK_USER_NAME)
    return {"id": user_id, "name": name, "avatar": known.get("avatar")}


def model_item(doc: dict[str, Any], users: dict[str, dict[str, Any]]) -> dict[str, Any]:
    item: dict[str, Any] = {"id": doc["_id"]}
    for public, stored in _FIELDS:
        item[public] = doc.get(stored)
    for public, stored in _DATES:
        item[public] = iso(doc.get(stored))
    for public, stored in _COUNTS:
        item[public] = max(0, int(doc.get(stored) or 0))
    item["user"] = owner_of(doc, users)
    return item


def page(items: list[dict[str, Any]], total: int, offset: int) -> dict[str, Any]:
    return {"items": items, "total": total, "hasMore": offset + len(items) < total}
