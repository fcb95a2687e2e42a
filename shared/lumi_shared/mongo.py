"""Database client factory: PyMongo's `AsyncMongoClient` when `MONGODB_URL` is set,
otherwise the in-process document store (persisted under `$LUMI_DATA_DIR/db` in embedded mode)."""

from typing import Any

from pymongo import AsyncMongoClient

from .docstore import InMemoryClient
from .settings import BaseServiceSettings


def create_mongo_client(settings: BaseServiceSettings) -> Any:
    if settings.MONGODB_URL:
        return AsyncMongoClient(
            settings.MONGODB_URL,
            tz_aware=True,
            serverSelectionTimeoutMS=settings.MONGODB_TIMEOUT_MS,
            connectTimeoutMS=settings.MONGODB_TIMEOUT_MS,
            appname=f"lumi-{settings.SERVICE_NAME}",
        )
    path = settings.LUMI_DATA_DIR / "db" if settings.LUMI_ENV == "embedded" else None
    return InMemoryClient(path)


async def ping(client: Any) -> bool:
    await client.admin.command("ping")
    return True


async def close_client(client: Any) -> None:
    result = client.close()
    if hasattr(result, "__await__"):
        await result
