"""`upsert_returning` under racing first upserts, on the in-process store and (marked `mongo`)
on the real server CI runs (SecantusDB), which sometimes answers such an upsert with null."""

import asyncio
import uuid

import pytest

from lumi_shared.docstore import InMemoryClient
from lumi_shared.mongo import create_mongo_client, upsert_returning
from lumi_shared.settings import BaseServiceSettings


async def race(collection, keys: int, callers: int) -> tuple[list[dict], int]:
    results: list[dict] = []
    for _ in range(keys):
        key = uuid.uuid4().hex
        results += await asyncio.gather(*(
            upsert_returning(collection, {"_id": key}, {"$inc": {"n": 1}}) for _ in range(callers)))
    total = sum(d["n"] for d in await collection.find({}).to_list())
    return results, total


async def test_racing_upserts_all_return_the_document_in_process():
    results, total = await race(InMemoryClient()["t"]["c"], 10, 20)
    assert all(d is not None and d["n"] >= 1 for d in results)
    assert total == 200


@pytest.mark.mongo
async def test_racing_upserts_all_return_the_document_and_count_once_on_the_server(real_mongo):
    client, name = real_mongo
    results, total = await race(client[name]["c"], 50, 40)
    assert len(results) == 2000 and all(d is not None and d["n"] >= 1 for d in results)
    assert total == 2000  # every call applied exactly once, none lost, none doubled


async def test_database_clients_wait_for_the_journal_before_a_write_counts():
    """A server killed with -9 must not lose an acknowledged write (writeConcern j:true)."""
    settings = BaseServiceSettings(SERVICE_NAME="t", MONGODB_URL="mongodb://127.0.0.1:1/")
    client = create_mongo_client(settings)
    try:
        assert client.write_concern.document == {"j": True}
    finally:
        await client.close()
