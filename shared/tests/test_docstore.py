import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from pymongo import ReturnDocument
from pymongo.errors import DuplicateKeyError

from lumi_shared.docstore import InMemoryClient


@pytest.fixture
def coll():
    return InMemoryClient()["db"]["things"]


async def test_unique_index_rejects_a_second_document_with_the_same_key(coll):
    await coll.create_index([("task_id", 1)], unique=True)
    await coll.insert_one({"_id": "a", "task_id": "t1"})
    with pytest.raises(DuplicateKeyError):
        await coll.insert_one({"_id": "b", "task_id": "t1"})
    with pytest.raises(DuplicateKeyError):
        await coll.update_one({"_id": "x"}, {"$set": {"task_id": "t1"}}, upsert=True)
    assert await coll.count_documents({}) == 1


async def test_partial_unique_index_only_applies_to_matching_documents(coll):
    await coll.create_index("k", unique=True, partialFilterExpression={"live": True})
    await coll.insert_one({"k": 1, "live": False})
    await coll.insert_one({"k": 1, "live": False})
    await coll.insert_one({"k": 1, "live": True})
    with pytest.raises(DuplicateKeyError):
        await coll.insert_one({"k": 1, "live": True})


async def test_conditional_update_never_goes_below_zero_under_concurrency(coll):
    await coll.insert_one({"_id": "w", "balance": 10})

    async def debit():
        result = await coll.update_one({"_id": "w", "balance": {"$gte": 1}},
                                       {"$inc": {"balance": -1}})
        return result.modified_count

    results = await asyncio.gather(*(debit() for _ in range(50)))
    assert sum(results) == 10
    assert (await coll.find_one({"_id": "w"}))["balance"] == 0


async def test_query_operators_dotted_paths_and_arrays(coll):
    await coll.insert_many([
        {"_id": 1, "n": 5, "tags": ["a", "b"], "images": [{"i": 0, "s": "OK"}, {"i": 1, "s": "BAD"}]},
        {"_id": 2, "n": 7, "tags": ["c"], "images": [{"i": 0, "s": "OK"}]},
    ])
    assert [d["_id"] async for d in coll.find({"n": {"$gt": 5}})] == [2]
    assert [d["_id"] async for d in coll.find({"tags": "b"})] == [1]
    assert [d["_id"] async for d in coll.find({"images.s": "BAD"})] == [1]
    assert [d["_id"] async for d in coll.find({"images.1.s": {"$exists": True}})] == [1]
    assert await coll.count_documents({"$or": [{"n": 5}, {"tags": {"$in": ["c"]}}]}) == 2
    assert await coll.count_documents({"missing": None}) == 2
    assert await coll.count_documents({"images": {"$elemMatch": {"i": 1, "s": "BAD"}}}) == 1


async def test_sort_skip_limit_and_projection(coll):
    await coll.insert_many([{"_id": i, "score": i % 3, "name": f"n{i}"} for i in range(9)])
    docs = await coll.find({}, {"name": 1}).sort([("score", -1), ("_id", 1)]).skip(1).limit(3).to_list()
    assert [d["_id"] for d in docs] == [5, 8, 1]
    assert set(docs[0]) == {"_id", "name"}


async def test_update_operators(coll):
    await coll.insert_one({"_id": 1, "items": [], "n": 1, "nested": {"a": 1}})
    await coll.update_one({"_id": 1}, {"$push": {"items": {"$each": [1, 2, 3], "$slice": -2}},
                                       "$inc": {"n": 2}, "$set": {"nested.b": 2},
                                       "$unset": {"nested.a": ""}, "$max": {"top": 4}})
    doc = await coll.find_one({"_id": 1})
    assert doc == {"_id": 1, "items": [2, 3], "n": 3, "nested": {"b": 2}, "top": 4}
    await coll.update_one({"_id": 1}, {"$pull": {"items": 2}, "$addToSet": {"items": 3}})
    assert (await coll.find_one({"_id": 1}))["items"] == [3]


async def test_find_one_and_update_returns_before_or_after_and_upserts(coll):
    after = await coll.find_one_and_update({"_id": "c"}, {"$inc": {"n": 1}}, upsert=True,
                                           return_document=ReturnDocument.AFTER)
    assert after == {"_id": "c", "n": 1}
    before = await coll.find_one_and_update({"_id": "c"}, {"$inc": {"n": 1}})
    assert before["n"] == 1


async def test_returned_documents_are_copies(coll):
    await coll.insert_one({"_id": 1, "list": [1]})
    doc = await coll.find_one({"_id": 1})
    doc["list"].append(2)
    assert (await coll.find_one({"_id": 1}))["list"] == [1]


async def test_datetimes_are_stored_with_millisecond_precision(coll):
    moment = datetime(2026, 1, 1, 12, 0, 0, 123456, tzinfo=UTC)
    await coll.insert_one({"_id": 1, "at": moment})
    stored = (await coll.find_one({"_id": 1}))["at"]
    assert stored == moment.replace(microsecond=123000)


async def test_ttl_index_purges_expired_documents():
    client = InMemoryClient()
    coll = client["db"]["marks"]
    await coll.create_index("at", expireAfterSeconds=60)
    now = datetime.now(UTC)
    await coll.insert_many([{"_id": 1, "at": now - timedelta(seconds=61)}, {"_id": 2, "at": now}])
    assert client.purge_expired() == 1
    assert [d["_id"] async for d in coll.find({})] == [2]


async def test_store_persists_to_a_folder_and_loads_back(tmp_path):
    client = InMemoryClient(tmp_path)
    await client["db"]["c"].insert_one({"_id": "x", "at": datetime(2026, 1, 1, tzinfo=UTC)})
    await client.aclose()
    again = InMemoryClient(tmp_path)
    assert (await again["db"]["c"].find_one({"_id": "x"}))["at"].year == 2026
