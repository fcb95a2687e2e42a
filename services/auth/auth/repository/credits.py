"""Credits: a wallet document per user (balance + a journal of entries not yet in the ledger)
and an append-only ledger with a unique `(user_id, dedupe)` index, `dedupe` = kind:key.

Without multi-document transactions the balance change and the journal entry are one
single-document write (`apply`, through `lumi_shared.aggregate.AggregateStore`); copying the
entry into the ledger and pulling it from the journal (`materialize`, which bumps `rev` too)
can be repeated after a crash. An entry is always in the journal, the ledger, or both, so
idempotency checks read the journal first, then the ledger.
"""

from contextlib import suppress
from dataclasses import replace
from datetime import datetime
from typing import Any, Protocol

from pymongo.errors import DuplicateKeyError

from lumi_shared.aggregate import REV, AggregateStore

from ..domain import LedgerEntry, journal


class CreditsRepository(Protocol):
    async def open_wallet(self, user_id: str, grant: LedgerEntry | None, now: datetime) -> None: ...
    async def get_wallet(self, user_id: str) -> dict[str, Any] | None: ...
    async def apply(self, entry: LedgerEntry, *, require_funds: bool) -> dict[str, Any] | None: ...
    async def find_entry(self, user_id: str, dedupe: str) -> tuple[LedgerEntry, bool] | None: ...
    async def materialize(self, entry: LedgerEntry) -> LedgerEntry: ...
    async def repair(self, user_id: str) -> None: ...
    async def recent_entries(self, user_id: str, limit: int) -> list[LedgerEntry]: ...


class MongoCreditsRepository:
    def __init__(self, wallets: Any, ledger: Any) -> None:
        self.wallets = wallets
        self.ledger = ledger
        self.store = AggregateStore(wallets, busy_message="The wallet is busy, please retry")

    async def ensure_indexes(self) -> None:
        await self.ledger.create_index([("user_id", 1), ("dedupe", 1)], unique=True)
        await self.ledger.create_index([("user_id", 1), ("created_at", -1)])

    async def open_wallet(self, user_id: str, grant: LedgerEntry | None, now: datetime) -> None:
        balance = grant.amount if grant else 0
        pending = [grant.to_doc()] if grant else []
        with suppress(DuplicateKeyError):  # a concurrent open won; its grant is the only one
            await self.wallets.update_one(
                {"_id": user_id},
                {"$setOnInsert": {"balance": balance, "pending": pending, "created_at": now}},
                upsert=True)

    async def get_wallet(self, user_id: str) -> dict[str, Any] | None:
        return await self.wallets.find_one({"_id": user_id})

    async def apply(self, entry: LedgerEntry, *, require_funds: bool) -> dict[str, Any] | None:
        """Move the balance and journal the entry in one write; None when refused."""
        done = await self.store.mutate({"_id": entry.user_id},
                                       journal(entry, require_funds=require_funds))
        return done.doc if done is not None and done.changed else None

    async def find_entry(self, user_id: str, dedupe: str) -> tuple[LedgerEntry, bool] | None:
        """(entry, still journalled) for this kind:key, or None when it was never applied."""
        wallet = await self.wallets.find_one({"_id": user_id, "pending.dedupe": dedupe},
                                             {"pending": 1})
        for doc in (wallet or {}).get("pending", []):
            if doc["dedupe"] == dedupe:
                return LedgerEntry.from_doc(doc), True
        doc = await self.ledger.find_one({"user_id": user_id, "dedupe": dedupe})
        return (LedgerEntry.from_doc(doc), False) if doc else None

    async def materialize(self, entry: LedgerEntry) -> LedgerEntry:
        """Copy a journalled entry into the ledger, then drop it from the journal.

        Returns the ledger's entry for this kind:key. When a concurrent request with the same
        key got there first, this entry is a duplicate: its balance change is reverted
        (once, guarded by the journal) and the winner is returned.
        """
        try:
            await self.ledger.insert_one(entry.to_doc())
            canonical = entry
        except DuplicateKeyError:
            doc = await self.ledger.find_one({"user_id": entry.user_id, "dedupe": entry.dedupe})
            if doc is None:
                raise
            canonical = LedgerEntry.from_doc(doc)
        if canonical.id == entry.id:
            await self.wallets.update_one({"_id": entry.user_id},
                                          {"$pull": {"pending": {"_id": entry.id}},
                                           "$inc": {REV: 1}})
            return canonical
        flt: dict[str, Any] = {"_id": entry.user_id, "pending._id": entry.id}
        if entry.delta > 0:
            flt["balance"] = {"$gte": entry.delta}  # never below zero, even to undo a duplicate
        await self.wallets.update_one(flt, {"$inc": {"balance": -entry.delta, REV: 1},
                                            "$pull": {"pending": {"_id": entry.id}}})
        return canonical

    async def repair(self, user_id: str) -> None:
        """Materialize whatever a crashed request left in the journal."""
        wallet = await self.get_wallet(user_id)
        for doc in (wallet or {}).get("pending", []):
            await self.materialize(LedgerEntry.from_doc(doc))

    async def recent_entries(self, user_id: str, limit: int) -> list[LedgerEntry]:
        docs = await self.ledger.find({"user_id": user_id}).sort(
            [("created_at", -1), ("_id", -1)]).limit(limit).to_list()
        return [LedgerEntry.from_doc(d) for d in docs]


def with_balance(entry: LedgerEntry, wallet: dict[str, Any]) -> LedgerEntry:
    return replace(entry, balance_after=wallet["balance"])
