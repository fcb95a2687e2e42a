"""Database client factory: PyMongo's `AsyncMongoClient` when `MONGODB_URL` is set,
otherwise the in-process document store (persisted under `$LUMI_DATA_DIR/db` in embedded mode)."""

from typing import Any

from pymongo import AsyncMongoClient, ReturnDocument
from pymongo.errors import DuplicateKeyError

from .docstore import InMemoryClient
from .settings import BaseServiceSettings

IN_PROCESS_PROFILES = ("embedded", "test")


class InProcessStoreRefused(RuntimeError):
    """A separately started service without a database server (see `create_mongo_client`)."""


def create_mongo_client(settings: BaseServiceSettings) -> Any:
    if settings.MONGODB_URL:
        return AsyncMongoClient(
            settings.MONGODB_URL,
            tz_aware=True,
            serverSelectionTimeoutMS=settings.MONGODB_TIMEOUT_MS,
            connectTimeoutMS=settings.MONGODB_TIMEOUT_MS,
            journal=settings.MONGODB_JOURNAL,
            appname=f"lumi-{settings.SERVICE_NAME}",
        )
    if settings.LUMI_ENV not in IN_PROCESS_PROFILES and not settings.ALLOW_IN_PROCESS_STORE:
        raise InProcessStoreRefused(
            f"{settings.SERVICE_NAME}: MONGODB_URL is not set and LUMI_ENV={settings.LUMI_ENV}. "
            "Outside the embedded profile the in-process store would forget every write when "
            "this process stops. Set MONGODB_URL (e.g. `make run-services` starts a local "
            "database server), or ALLOW_IN_PROCESS_STORE=true to run without one anyway.")
    path = settings.LUMI_DATA_DIR / "db" if settings.LUMI_ENV == "embedded" else None
    return InMemoryClient(path)


async def ping(client: Any) -> bool:
    await client.admin.command("ping")
    return True


async def close_client(client: Any) -> None:
    result = client.close()
    if hasattr(result, "__await__"):
        await result


async def upsert_returning(collection: Any, flt: dict[str, Any], update: dict[str, Any]) -> dict:
    """`find_one_and_update(flt, update, upsert=True)` returning the document after the write,
    correct on every server we run on.

    Two first upserts of one key race: mongod inserts for one and may raise 11000 for the
    other, whose update was then not applied, so it is applied again to the existing
    document. SecantusDB (the CI database) instead sometimes applies the write and answers
    null; the document is then read back.
    """
    for attempt in range(3):
        try:
            doc = await collection.find_one_and_update(
                flt, update, upsert=True, return_document=ReturnDocument.AFTER)
        except DuplicateKeyError:
            if attempt == 2:
                raise
            continue
        if doc is None:
            doc = await collection.find_one(flt)
        if doc is not None:
            return doc
    raise RuntimeError(f"upsert of {flt!r} returned no document")
