"""Gallery entities: the catalogue projection of models, interactions, sorting and visibility."""

from enum import StrEnum
from typing import Any

from lumi_shared.errors import NotFound

PUBLIC = "PUBLIC"
PRIVATE = "PRIVATE"
FALLBACK_USER_NAME = "Lumi user"
COUNTERS = ("like_count", "favorite_count", "view_count", "download_count")


class ModelStatus(StrEnum):
    PENDING = "PENDING"      # only metadata seen so far (an update overtook ModelReady)
    READY = "READY"
    FAILED = "FAILED"
    DELETED = "DELETED"      # tombstone: no later event may resurrect it


class InteractionType(StrEnum):
    LIKE = "LIKE"
    FAVORITE = "FAVORITE"

    @property
    def counter(self) -> str:
        return "like_count" if self is InteractionType.LIKE else "favorite_count"


class InteractionState(StrEnum):
    """Interaction life cycle; the model counter moves only between these steps, so every -1
    is preceded by its own +1 and a counter never goes below zero."""

    ADDING = "ADDING"        # inserted, counter +1 pending
    ACTIVE = "ACTIVE"        # counted
    REMOVING = "REMOVING"    # counter -1 pending, then the doc is deleted


class GallerySort(StrEnum):
    LATEST = "latest"
    POPULAR = "popular"
    LIKED = "liked"
    VIEWED = "viewed"


# Every order ends with `_id` so equal keys keep a stable order and pages never overlap.
SORT_ORDERS: dict[GallerySort, list[tuple[str, int]]] = {
    GallerySort.LATEST: [("published_at", -1), ("_id", -1)],
    GallerySort.POPULAR: [("like_count", -1), ("view_count", -1), ("_id", -1)],
    GallerySort.LIKED: [("like_count", -1), ("_id", -1)],
    GallerySort.VIEWED: [("view_count", -1), ("_id", -1)],
}


class ModelNotFound(NotFound):
    default_message = "Model not found"


def public_filter() -> dict[str, Any]:
    """Models anyone may see in the gallery: public and completed."""
    return {"visibility": PUBLIC, "status": ModelStatus.READY.value}


def visible_filter(user_id: str | None) -> dict[str, Any]:
    """Models `user_id` may see: public ones, plus their own private ones."""
    if not user_id:
        return public_filter()
    return {"status": ModelStatus.READY.value,
            "$or": [{"visibility": PUBLIC}, {"user_id": user_id}]}


def is_visible(doc: dict[str, Any] | None, user_id: str | None) -> bool:
    if not doc or doc.get("status") != ModelStatus.READY:
        return False
    if doc.get("visibility") == PUBLIC:
        return True
    return user_id is not None and doc.get("user_id") == user_id


def safe_display_name(name: str | None) -> str | None:
    """A name fit to show publicly: never something that looks like an e-mail address."""
    if not name or not name.strip() or "@" in name:
        return None
    return name.strip()
