"""The in-process store's indexes, copy-on-write reads and journal (persistence, compaction,
recovery after kill -9)."""

import random
import signal
import subprocess
import sys
import textwrap
import time
from datetime import UTC, datetime, timedelta

import pytest

from lumi_shared.docstore import InMemoryClient, plan
from lumi_shared.docstore import journal as journal_mod
from lumi_shared.docstore.query import _sort_docs

SORTS = [
    [("createdAt", -1), ("_id", -1)], [("createdAt", 1)], [("createdAt", -1)],
    [("rank", -1), ("_id", 1)], [("rank", 1), ("createdAt", -1)], [("_id", 1)], None,
]


async def _seeded(n: int = 300):
    coll = InMemoryClient()["db"]["tasks"]
    await coll.create_index([("userId", 1), ("createdAt", -1)])
    await coll.create_index([("userId", 1), ("rank", -1), ("createdAt", 1)])
    rnd = random.Random(7)
    base = datetime(2026, 1, 1, tzinfo=UTC)
    for i in range(n):
        doc = {"_id": f"t{rnd.randrange(10**6):06d}-{i}", "userId": f"u{rnd.randrange(4)}",
               "createdAt": base + timedelta(seconds=rnd.randrange(50)), "rank": rnd.randrange(5)}
        if rnd.random() < 0.3:
            doc["deletedAt"] = base
        await coll.insert_one(doc)
    return coll


@pytest.mark.parametrize("sort", SORTS)
async def test_indexed_pages_equal_a_full_scan_with_a_stable_sort(sort):
    coll = await _seeded()
    for flt in ({"userId": "u1"}, {"userId": "u2", "deletedAt": None}, {"rank": 3}, {}):
        expected = _sort_docs(coll._scan(flt), plan.sort_spec(sort))
        for skip, limit in ((0, 20), (15, 7), (0, 0), (290, 20)):
            cursor = coll.find(flt, sort=sort).skip(skip).limit(limit)
            got = [d["_id"] for d in await cursor.to_list()]
            want = [d["_id"] for d in expected][skip:skip + limit if limit else None]
            assert got == want, (flt, sort, skip, limit)
        assert await coll.count_documents(flt) == len(expected)


async def test_index_follows_updates_and_deletes():
    coll = await _seeded(100)
    first = (await coll.find({"userId": "u0"}).sort("createdAt", -1).limit(1).to_list())[0]
    await coll.update_one({"_id": first["_id"]}, {"$set": {"userId": "u9"}})
    assert await coll.count_documents({"userId": "u9"}) == 1
    await coll.delete_many({"userId": "u1"})
    assert await coll.count_documents({"userId": "u1"}) == 0
    assert [d["_id"] async for d in coll.find({"userId": "u9"}, sort=[("createdAt", -1)])] == [
        first["_id"]]


async def test_paged_find_touches_only_the_page():
    coll = await _seeded(2000)
    calls = 0
    original = plan._sort_docs

    def counting(docs, spec):
        nonlocal calls
        calls += len(docs)
        return original(docs, spec)

    plan._sort_docs = counting
    try:
        page = await coll.find({"userId": "u1"}).sort([("createdAt", -1), ("_id", -1)]).limit(
            20).to_list()
    finally:
        plan._sort_docs = original
    assert len(page) == 20 and calls < 100  # only the tie groups of the page get sorted


async def test_reads_hand_out_copies_and_never_share_the_stored_document():
    coll = InMemoryClient()["db"]["c"]
    await coll.insert_one({"_id": 1, "tags": ["a"], "nested": {"n": 1}})
    doc = await coll.find_one({"_id": 1})
    doc["tags"].append("b")
    doc["nested"]["n"] = 2
    listed = await coll.find({}).to_list()
    listed[0]["tags"].clear()
    assert await coll.find_one({"_id": 1}) == {"_id": 1, "tags": ["a"], "nested": {"n": 1}}


async def test_unique_index_is_checked_through_its_key_map():
    coll = InMemoryClient()["db"]["users"]
    await coll.create_index("email", unique=True)
    await coll.insert_one({"_id": 1, "email": "a@x"})
    await coll.update_one({"_id": 1}, {"$set": {"email": "b@x"}})
    await coll.insert_one({"_id": 2, "email": "a@x"})  # the old key was released
    with pytest.raises(Exception, match="duplicate key"):
        await coll.insert_one({"_id": 3, "email": "b@x"})


async def test_journal_persists_updates_and_deletes_and_compacts(tmp_path, monkeypatch):
    monkeypatch.setattr(journal_mod, "MIN_COMPACT_BYTES", 2000)
    client = InMemoryClient(tmp_path)
    coll = client["db"]["c"]
    for i in range(50):
        await coll.insert_one({"_id": i, "v": i, "at": datetime(2026, 1, 1, tzinfo=UTC)})
        await client.flush_async()
    await coll.update_one({"_id": 3}, {"$set": {"v": "three"}})
    await coll.delete_one({"_id": 4})
    await client.aclose()
    names = sorted(p.name for p in (tmp_path / "db").iterdir())
    assert any(n.startswith("snapshot-") for n in names)  # compacted at least once
    assert len([n for n in names if n.startswith("journal-")]) <= 2
    again = InMemoryClient(tmp_path)["db"]["c"]
    assert await again.count_documents({}) == 49
    assert (await again.find_one({"_id": 3}))["v"] == "three"
    assert (await again.find_one({"_id": 5}))["at"] == datetime(2026, 1, 1, tzinfo=UTC)


async def test_a_torn_journal_tail_is_cut_off_on_recovery(tmp_path):
    client = InMemoryClient(tmp_path)
    await client["db"]["c"].insert_one({"_id": "kept"})
    await client.aclose()
    journal = next((tmp_path / "db").glob("journal-*.bson"))
    journal.write_bytes(journal.read_bytes() + b"\x40\x00\x00\x00\x02c\x00")  # half a record
    again = InMemoryClient(tmp_path)
    assert [d["_id"] async for d in again["db"]["c"].find({})] == ["kept"]


async def test_a_legacy_json_file_is_imported(tmp_path):
    (tmp_path / "db.json").write_text('{"c": [{"_id": "old", "n": 1}]}')
    client = InMemoryClient(tmp_path)
    assert (await client["db"]["c"].find_one({"_id": "old"}))["n"] == 1
    assert not (tmp_path / "db.json").exists()
    await client.aclose()
    assert (await InMemoryClient(tmp_path)["db"]["c"].find_one({"_id": "old"}))["n"] == 1


WRITER = textwrap.dedent("""
    import asyncio, sys
    from lumi_shared.docstore import InMemoryClient

    async def main():
        client = InMemoryClient(sys.argv[1], flush_interval=0.05)
        client.start_maintenance()
        coll = client["db"]["c"]
        i = 0
        while True:
            await coll.insert_one({"_id": i})
            i += 1
            if i % 50 == 0:
                print(i, flush=True)
                await asyncio.sleep(0.01)

    asyncio.run(main())
""")


def test_kill_9_loses_at_most_the_last_flush_interval(tmp_path):
    proc = subprocess.Popen([sys.executable, "-c", WRITER, str(tmp_path)],
                            stdout=subprocess.PIPE, text=True)
    try:
        reported = 0
        deadline = time.monotonic() + 30
        while reported < 2000 and time.monotonic() < deadline:
            reported = int(proc.stdout.readline() or 0)
        time.sleep(0.3)  # several flush intervals with the writer still running
        acknowledged = reported
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.wait(10)
    recovered = InMemoryClient(tmp_path)["db"]["c"]
    ids = sorted(recovered._docs)
    assert ids == list(range(len(ids)))  # a prefix of the writes, no gaps
    assert len(ids) >= acknowledged  # written more than a flush interval before the kill
