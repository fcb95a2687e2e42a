"""The whole-system flows run once on the in-process store and, when `MONGODB_URL` is set (CI
starts SecantusDB), once more with every service on its own database of that server."""

import uuid

import pytest
from pymongo import AsyncMongoClient

from lumi_embedded.harness import FAST
from lumi_embedded.system import SERVICES, running_system


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "embedded" in metafunc.fixturenames:
        stores = ["in-process"]
        if "MONGODB_URL" in metafunc.config.real_servers:
            stores.append("mongodb")
        metafunc.parametrize("store", stores)


@pytest.fixture
async def embedded(tmp_path, store, request):
    if store == "in-process":
        async with running_system(tmp_path, overrides=FAST) as system:
            yield system
        return
    url = request.getfixturevalue("mongo_url")
    client = AsyncMongoClient(url, tz_aware=True, serverSelectionTimeoutMS=3000)
    suffix = uuid.uuid4().hex[:8]
    names = (*SERVICES, "gateway")  # the gateway keeps its SSE history in its own database
    overrides = {name: {**FAST.get(name, {}), "MONGODB_DB": f"lumi_{name}_{suffix}"}
                 for name in names}
    try:
        async with running_system(tmp_path, overrides=overrides,
                                  mongo_for=lambda _name: client) as system:
            yield system
    finally:
        for name in names:
            await client.drop_database(overrides[name]["MONGODB_DB"])
        await client.close()
