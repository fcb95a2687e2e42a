"""Counters stay exact while toggles race (the store wrapper interleaves every operation)."""

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from gallery.domain import InteractionType, ModelNotFound
from gallery.repository import MongoCatalogueRepository, MongoInteractionRepository
from gallery.service import (
    project_model_deleted,
    project_model_ready,
    reconcile_counter,
    toggle_interaction,
)

LIKE = InteractionType.LIKE


class WatchedCatalogue(MongoCatalogueRepository):
    """Records every counter value a bump leaves behind."""

    def __init__(self, db) -> None:
        super().__init__(db)
        self.seen: list[int] = []

    async def bump(self, model_id, counter, delta, seq=False):
        doc = await super().bump(model_id, counter, delta, seq)
        self.seen.append(doc[counter])
        return doc


async def setup(db, ev):
    catalogue, interactions = WatchedCatalogue(db), MongoInteractionRepository(db)
    await interactions.ensure_indexes()
    await project_model_ready(catalogue=catalogue, event=ev.ready("m1", version=3))
    return catalogue, interactions


def toggle(catalogue, interactions, user, kind=LIKE):
    return toggle_interaction(catalogue=catalogue, interactions=interactions, model_id="m1",
                              user_id=user, kind=kind)


async def active_docs(db, kind=LIKE) -> int:
    return await db["interactions"].count_documents({"model_id": "m1", "type": kind.value})


async def test_one_hundred_concurrent_likes_by_one_hundred_users_count_exactly_one_hundred(
        racy_db, ev):
    catalogue, interactions = await setup(racy_db, ev)
    results = await asyncio.gather(*(toggle(catalogue, interactions, f"u{i}")
                                     for i in range(100)))
    assert all(r["isInteracted"] for r in results)
    doc = await catalogue.get("m1")
    assert doc["like_count"] == 100 == await active_docs(racy_db)
    assert sorted(catalogue.seen) == list(range(1, 101))


async def test_like_unlike_races_never_make_a_counter_negative_and_end_exact(racy_db, ev):
    catalogue, interactions = await setup(racy_db, ev)
    users = [f"u{i}" for i in range(10)]
    for round_ in range(6):
        clicks = [toggle(catalogue, interactions, u) for u in users for _ in range(round_ % 3 + 1)]
        clicks += [toggle(catalogue, interactions, u, InteractionType.FAVORITE) for u in users[:4]]
        await asyncio.gather(*clicks)
        doc = await catalogue.get("m1")
        assert doc["like_count"] == await active_docs(racy_db)
        assert doc["favorite_count"] == await active_docs(racy_db, InteractionType.FAVORITE)
    assert min(catalogue.seen) >= 0
    pending = await racy_db["interactions"].count_documents({"state": {"$ne": "ACTIVE"}})
    assert pending == 0


async def test_double_click_by_the_same_user_ends_liked_or_not_but_never_drifts(racy_db, ev):
    catalogue, interactions = await setup(racy_db, ev)
    for clicks in (2, 3, 4, 7):
        await asyncio.gather(*(toggle(catalogue, interactions, "u1") for _ in range(clicks)))
        doc = await catalogue.get("m1")
        assert doc["like_count"] == await active_docs(racy_db) <= 1
    assert min(catalogue.seen) >= 0


async def test_sequential_toggles_alternate_like_and_unlike(racy_db, ev):
    catalogue, interactions = await setup(racy_db, ev)
    states = [(await toggle(catalogue, interactions, "u1"))["isInteracted"] for _ in range(4)]
    assert states == [True, False, True, False]
    assert (await catalogue.get("m1"))["like_count"] == 0


async def test_reconcile_repairs_a_toggle_that_crashed_between_its_steps(racy_db, ev):
    catalogue, interactions = await setup(racy_db, ev)
    await toggle(catalogue, interactions, "u1")
    await interactions.begin_add("u2", "m1", LIKE)  # crashed before its +1
    long_ago = datetime.now(UTC) - timedelta(minutes=5)
    await racy_db["interactions"].update_many({}, {"$set": {"updated_at": long_ago}})
    assert await reconcile_counter(catalogue=catalogue, interactions=interactions,
                                   model_id="m1", kind=LIKE)
    assert (await catalogue.get("m1"))["like_count"] == 2 == await active_docs(racy_db)


async def test_reconcile_leaves_the_counter_alone_while_a_toggle_is_in_flight(racy_db, ev):
    catalogue, interactions = await setup(racy_db, ev)
    await interactions.begin_add("u1", "m1", LIKE)  # fresh: its +1 may still come
    assert not await reconcile_counter(catalogue=catalogue, interactions=interactions,
                                       model_id="m1", kind=LIKE)
    assert (await catalogue.get("m1"))["like_count"] == 0


async def test_reconcile_racing_with_toggles_keeps_the_counter_exact(racy_db, ev):
    catalogue, interactions = await setup(racy_db, ev)

    async def reconcile_often():
        for _ in range(30):
            await reconcile_counter(catalogue=catalogue, interactions=interactions,
                                    model_id="m1", kind=LIKE)

    await asyncio.gather(reconcile_often(),
                         *(toggle(catalogue, interactions, f"u{i % 15}") for i in range(45)))
    assert (await catalogue.get("m1"))["like_count"] == await active_docs(racy_db)


async def test_a_like_racing_with_the_models_deletion_leaves_no_interaction(racy_db, ev):
    catalogue, interactions = await setup(racy_db, ev)

    class DeletedMeanwhile(MongoInteractionRepository):
        async def begin_add(self, user_id, model_id, kind):
            await project_model_deleted(catalogue=catalogue, interactions=interactions,
                                        event=ev.deleted("m1", version=9))
            return await super().begin_add(user_id, model_id, kind)  # after the clean-up

    with pytest.raises(ModelNotFound):
        await toggle(catalogue, DeletedMeanwhile(racy_db), "u1")
    assert await racy_db["interactions"].count_documents({}) == 0
