"""Sessions: keyed by sha256(token); the token itself is never stored."""

from collections.abc import Callable
from datetime import datetime
from typing import Any, Protocol

from lumi_shared.aggregate import AggregateStore
from lumi_shared.timeutil import as_utc

from ..domain import Session, revoke

# Expired sessions stay a day (audit, a late logout still finds them), then TTL removes them.
RETENTION_SECONDS = 24 * 3600


class SessionRepository(Protocol):
    async def create(self, session_id: str, user_id: str, now: datetime,
                     expires_at: datetime) -> None: ...
    async def get(self, session_id: str) -> Session | None: ...
    async def revoke(self, session_id: str, now: datetime) -> Session | None: ...


class MongoSessionRepository:
    def __init__(self, collection: Any, *, on_outbox: Callable[[], None] | None = None) -> None:
        self.collection = collection
        self.store = AggregateStore(collection, on_outbox=on_outbox)

    async def ensure_indexes(self) -> None:
        await self.collection.create_index("user_id")
        await self.collection.create_index("expires_at", expireAfterSeconds=RETENTION_SECONDS)

    async def create(self, session_id: str, user_id: str, now: datetime,
                     expires_at: datetime) -> None:
        await self.store.insert({"_id": session_id, "user_id": user_id, "created_at": now,
                                 "expires_at": expires_at, "revoked_at": None})

    async def get(self, session_id: str) -> Session | None:
        doc = await self.store.find_one({"_id": session_id})
        return _session(doc) if doc else None

    async def revoke(self, session_id: str, now: datetime) -> Session | None:
        """Revoke once; the `SessionRevoked` event rides in the same single-document write."""
        done = await self.store.mutate({"_id": session_id}, lambda doc, _now: revoke(doc, now))
        return _session(done.doc) if done is not None and done.changed else None


def _session(doc: dict[str, Any]) -> Session:
    revoked = doc.get("revoked_at")
    return Session(id=doc["_id"], user_id=doc["user_id"], expires_at=as_utc(doc["expires_at"]),
                   revoked_at=as_utc(revoked) if revoked else None)
