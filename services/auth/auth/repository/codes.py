"""Login codes: at most one live code per address (`_id` = the address); only an HMAC is kept.

Every transition is one conditional single-document update, so concurrent requests cannot
send two codes inside the cooldown, count a wrong guess twice, or use a code twice.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from pymongo import ReturnDocument
from pymongo.errors import DuplicateKeyError

from lumi_shared.timeutil import as_utc

from ..domain import CodePurpose


@dataclass(frozen=True)
class StoredCode:
    email: str
    code_id: str
    code_hash: str
    purpose: CodePurpose
    attempts: int
    sent_at: datetime
    expires_at: datetime
    used: bool
    followup: bool = False  # used by a registration; one login by the same address may follow


class CodeRepository(Protocol):
    async def get(self, email: str) -> StoredCode | None: ...
    async def replace(self, code: StoredCode, cooldown: timedelta) -> bool: ...
    async def count_failure(self, email: str, code_id: str, max_attempts: int) -> bool: ...
    async def consume(self, email: str, code_id: str, max_attempts: int,
                      now: datetime, *, followup: bool = False) -> bool: ...
    async def consume_followup(self, email: str, code_id: str, max_attempts: int,
                               now: datetime) -> bool: ...


class MongoCodeRepository:
    def __init__(self, collection: Any) -> None:
        self.collection = collection

    async def ensure_indexes(self) -> None:
        await self.collection.create_index("expires_at", expireAfterSeconds=0)

    async def get(self, email: str) -> StoredCode | None:
        doc = await self.collection.find_one({"_id": email})
        return _code(doc) if doc else None

    async def replace(self, code: StoredCode, cooldown: timedelta) -> bool:
        """Store a new code unless one was sent within `cooldown` (then False).

        The filter only matches an old enough document; when a recent one exists the upsert
        collides on `_id`, which is the atomic "cooldown active" answer.
        """
        fields = {"code_id": code.code_id, "code_hash": code.code_hash,
                  "purpose": code.purpose.value, "attempts": 0, "sent_at": code.sent_at,
                  "expires_at": code.expires_at, "used": False}
        try:
            await self.collection.update_one(
                {"_id": code.email, "sent_at": {"$lte": code.sent_at - cooldown}},
                {"$set": fields}, upsert=True)
        except DuplicateKeyError:
            return False
        return True

    async def count_failure(self, email: str, code_id: str, max_attempts: int) -> bool:
        """Count one wrong guess; False when the code was already burned (or replaced)."""
        doc = await self.collection.find_one_and_update(
            {"_id": email, "code_id": code_id, "$or": [{"used": False}, {"followup": True}],
             "attempts": {"$lt": max_attempts}},
            {"$inc": {"attempts": 1}}, return_document=ReturnDocument.AFTER)
        return doc is not None

    async def consume(self, email: str, code_id: str, max_attempts: int,
                      now: datetime, *, followup: bool = False) -> bool:
        """Mark the code used; exactly one caller can win, and never a burned or expired code.
        `followup` leaves it good for exactly one more sign-in (register, then login)."""
        doc = await self.collection.find_one_and_update(
            {"_id": email, "code_id": code_id, "used": False,
             "attempts": {"$lt": max_attempts}, "expires_at": {"$gt": now}},
            {"$set": {"used": True, "used_at": now, "followup": followup}})
        return doc is not None

    async def consume_followup(self, email: str, code_id: str, max_attempts: int,
                               now: datetime) -> bool:
        """Spend the one sign-in a registration left open (same guards as `consume`)."""
        doc = await self.collection.find_one_and_update(
            {"_id": email, "code_id": code_id, "used": True, "followup": True,
             "attempts": {"$lt": max_attempts}, "expires_at": {"$gt": now}},
            {"$set": {"followup": False, "followup_used_at": now}})
        return doc is not None


def _code(doc: dict[str, Any]) -> StoredCode:
    return StoredCode(email=doc["_id"], code_id=doc["code_id"], code_hash=doc["code_hash"],
                      purpose=CodePurpose(doc["purpose"]), attempts=doc.get("attempts", 0),
                      sent_at=as_utc(doc["sent_at"]), expires_at=as_utc(doc["expires_at"]),
                      used=bool(doc.get("used")), followup=bool(doc.get("followup")))
