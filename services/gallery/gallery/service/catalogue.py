"""Browsing the public catalogue, model details (with deduplicated view counting), downloads
and the per-user statistics other services read."""

import hashlib
from collections.abc import Iterable
from typing import Any

from ..cache import PageCache
from ..domain import COUNTERS, GallerySort, InteractionType, ModelNotFound, is_visible
from ..providers.users import UserDirectory
from ..repository import CatalogueRepository, InteractionRepository
from ..views import model_item, page


async def owners(directory: UserDirectory, docs: Iterable[dict[str, Any]]) -> dict[str, dict]:
    ids = sorted({d["user_id"] for d in docs if d.get("user_id")})
    if not ids:
        return {}
    try:
        return await directory.lookup(ids)
    except Exception:  # a directory must never break a page; names fall back
        return {}


async def visible_model(catalogue: CatalogueRepository, model_id: str,
                        user_id: str | None) -> dict[str, Any]:
    """The model if `user_id` (None = anonymous) may see it; 404 for everyone else, so a
    private model is indistinguishable from a missing one."""
    doc = await catalogue.get(model_id)
    if not is_visible(doc, user_id):
        raise ModelNotFound()
    assert doc is not None
    return doc


async def browse_models(*, catalogue: CatalogueRepository, directory: UserDirectory,
                        sort: GallerySort, offset: int, limit: int,
                        cache: PageCache | None = None) -> dict[str, Any]:
    async def load() -> dict[str, Any]:
        docs, total = await catalogue.page(sort, offset, limit)
        users = await owners(directory, docs)
        return page([model_item(d, users) for d in docs], total, offset)

    return await cache.get_or_load((sort, offset, limit), load) if cache else await load()


def viewer_key(user_id: str | None, client_ip: str | None) -> str:
    """Who viewed: the user, else the client address; hashed so markers hold no raw IPs."""
    raw = f"u:{user_id}" if user_id else f"ip:{client_ip or 'unknown'}"
    return hashlib.sha256(raw.encode()).hexdigest()[:32]


async def get_model(*, catalogue: CatalogueRepository, directory: UserDirectory, model_id: str,
                    user_id: str | None, client_ip: str | None,
                    view_window_seconds: int) -> dict[str, Any]:
    doc = await visible_model(catalogue, model_id, user_id)
    viewer = viewer_key(user_id, client_ip)
    # A viewer already counted in this window costs one read and no write; only a new viewer
    # writes, and the atomic claim keeps that exact under concurrent hits.
    if (not await catalogue.viewed_recently(model_id, viewer, view_window_seconds)
            and await catalogue.claim_view(model_id, viewer, view_window_seconds)):
        doc = await catalogue.bump(model_id, "view_count", 1) or doc
    return model_item(doc, await owners(directory, [doc]))


async def count_download(*, catalogue: CatalogueRepository, model_id: str,
                         user_id: str) -> dict[str, Any]:
    await visible_model(catalogue, model_id, user_id)
    await catalogue.bump(model_id, "download_count", 1)
    return {"message": "Download counted"}


async def user_stats(*, catalogue: CatalogueRepository, interactions: InteractionRepository,
                     user_id: str) -> dict[str, int]:
    """Totals over the user's public models, and how many models the user liked/favorited."""
    sums = dict.fromkeys(COUNTERS, 0)
    for doc in await catalogue.owner_public_models(user_id):
        for counter in COUNTERS:
            sums[counter] += max(0, int(doc.get(counter) or 0))
    return {
        "totalLikes": sums["like_count"], "totalFavorites": sums["favorite_count"],
        "totalViews": sums["view_count"], "totalDownloads": sums["download_count"],
        "likedModelsCount": await interactions.count_for_user(user_id, InteractionType.LIKE),
        "favoritedModelsCount": await interactions.count_for_user(user_id,
                                                                  InteractionType.FAVORITE),
    }
