"""Likes and favorites: toggles with exact counters, per-model and batch status, user lists.

A toggle walks the interaction document through ADDING -> ACTIVE (add) or ACTIVE -> REMOVING ->
gone (remove) and moves the counter between the steps. The unique document means a user never
counts twice; a -1 only follows a completed +1, so a counter never goes below zero and, at
rest, equals the number of ACTIVE documents."""

import asyncio
from collections.abc import Sequence
from typing import Any

from ..domain import InteractionType, ModelNotFound, ModelStatus
from ..providers.users import UserDirectory
from ..repository import CatalogueRepository, InteractionRepository
from ..views import model_item, page
from .catalogue import owners, visible_model

TOGGLE_ATTEMPTS = 5
STALE_TOGGLE_SECONDS = 60.0


async def get_interactions(*, catalogue: CatalogueRepository,
                           interactions: InteractionRepository, model_id: str,
                           user_id: str | None) -> dict[str, Any]:
    await visible_model(catalogue, model_id, user_id)
    if user_id is None:
        return {"isAuthenticated": False, "interactions": []}
    kinds = (await interactions.kinds_by_model(user_id, [model_id])).get(model_id, set())
    ordered = [k.value for k in InteractionType if k.value in kinds]
    return {"isAuthenticated": True, "interactions": ordered,
            "isLiked": InteractionType.LIKE.value in kinds,
            "isFavorited": InteractionType.FAVORITE.value in kinds}


def _toggled(kind: InteractionType, on: bool, doc: dict[str, Any] | None) -> dict[str, Any]:
    doc = doc or {}
    return {"isInteracted": on, "type": kind.value,
            "likeCount": max(0, int(doc.get("like_count") or 0)),
            "favoriteCount": max(0, int(doc.get("favorite_count") or 0))}


async def toggle_interaction(*, catalogue: CatalogueRepository,
                             interactions: InteractionRepository, model_id: str, user_id: str,
                             kind: InteractionType) -> dict[str, Any]:
    await visible_model(catalogue, model_id, user_id)
    for attempt in range(TOGGLE_ATTEMPTS):
        if await interactions.begin_add(user_id, model_id, kind):
            doc = await catalogue.bump(model_id, kind.counter, 1, seq=True)
            if doc is None or doc.get("status") == ModelStatus.DELETED:
                # deleted meanwhile: ModelDeleted's clean-up may already have run
                await interactions.discard(user_id, model_id, kind)
                raise ModelNotFound()
            await interactions.finish_add(user_id, model_id, kind)
            return _toggled(kind, True, doc)
        if await interactions.begin_remove(user_id, model_id, kind):
            doc = await catalogue.bump(model_id, kind.counter, -1, seq=True)
            await interactions.finish_remove(user_id, model_id, kind)
            return _toggled(kind, False, doc)
        # Another toggle of this user is between two steps: let it finish, then flip again.
        await asyncio.sleep(0.005 * (attempt + 1))
    await reconcile_counter(catalogue=catalogue, interactions=interactions, model_id=model_id,
                            kind=kind)
    kinds = (await interactions.kinds_by_model(user_id, [model_id])).get(model_id, set())
    return _toggled(kind, kind.value in kinds, await catalogue.get(model_id))


async def reconcile_counter(*, catalogue: CatalogueRepository,
                            interactions: InteractionRepository, model_id: str,
                            kind: InteractionType,
                            stale_after: float = STALE_TOGGLE_SECONDS) -> bool:
    """Reset a counter to the number of ACTIVE interactions (repairs a toggle that crashed
    between its steps). Safe under load: it gives up while a toggle is in flight and writes
    only if no counter step happened since it read the model (`interaction_seq`)."""
    doc = await catalogue.get(model_id)
    if doc is None:
        return False
    if not await interactions.settle_stale(model_id, kind, stale_after):
        return False
    actual = await interactions.count_active(model_id, kind)
    if int(doc.get(kind.counter) or 0) == actual:
        return True
    return await catalogue.set_counter_if_seq(model_id, kind.counter, actual,
                                              int(doc.get("interaction_seq") or 0))


async def batch_interactions(*, interactions: InteractionRepository, model_ids: Sequence[str],
                             user_id: str | None) -> dict[str, Any]:
    if user_id is None:
        return {"isAuthenticated": False, "interactions": {}}
    found = await interactions.kinds_by_model(user_id, model_ids)
    result = {}
    for model_id in model_ids:
        kinds = found.get(model_id, set())
        result[model_id] = {"isLiked": InteractionType.LIKE.value in kinds,
                            "isFavorited": InteractionType.FAVORITE.value in kinds}
    return {"isAuthenticated": True, "interactions": result}


async def list_user_models(*, catalogue: CatalogueRepository,
                           interactions: InteractionRepository, directory: UserDirectory,
                           user_id: str, kind: InteractionType, offset: int,
                           limit: int) -> dict[str, Any]:
    """The caller's liked/favorited models they may still see, newest interaction first."""
    ordered = await interactions.model_ids_for_user(user_id, kind)
    visible = await catalogue.visible_ids(ordered, user_id)
    ordered = [m for m in ordered if m in visible]
    page_ids = ordered[offset:offset + limit]
    docs = await catalogue.get_many(page_ids)
    rows = [docs[m] for m in page_ids if m in docs]
    users = await owners(directory, rows)
    return page([model_item(d, users) for d in rows], len(ordered), offset)
