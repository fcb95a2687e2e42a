"""Use cases of the credits wallet: open (with the starting grant), debit, refund, read."""

from dataclasses import dataclass, replace
from typing import Any

import structlog

from lumi_shared.errors import InsufficientCredits, NotFound

from ..config import Settings
from ..domain import Clock, EntryKind, LedgerEntry, Wallet, dedupe_key
from ..repository import CreditsRepository, UserRepository
from ..security import new_id

log = structlog.get_logger("lumi.auth.credits")

GRANT_KEY = "starting-grant"


@dataclass(frozen=True)
class DebitResult:
    balance: int
    entry_id: str


@dataclass(frozen=True)
class RefundResult:
    balance: int
    refunded: bool


async def open_wallet(*, credits: CreditsRepository, settings: Settings, clock: Clock,
                      user_id: str) -> dict[str, Any]:
    """Create the wallet with the starting grant if it does not exist yet; return it."""
    wallet = await credits.get_wallet(user_id)
    if wallet is not None:
        return wallet
    now = clock()
    grant = None
    if settings.STARTING_CREDITS > 0:
        grant = LedgerEntry(id=new_id(), user_id=user_id, kind=EntryKind.GRANT,
                            amount=settings.STARTING_CREDITS, reason="Starting credits",
                            idempotency_key=GRANT_KEY, created_at=now,
                            balance_after=settings.STARTING_CREDITS)
    await credits.open_wallet(user_id, grant, now)
    await credits.repair(user_id)
    return await credits.get_wallet(user_id) or {"_id": user_id, "balance": 0}


async def _existing_wallet(credits: CreditsRepository, users: UserRepository,
                           settings: Settings, clock: Clock, user_id: str) -> dict[str, Any]:
    wallet = await credits.get_wallet(user_id)
    if wallet is not None:
        return wallet
    if await users.get(user_id) is None:
        raise NotFound("Unknown user")
    return await open_wallet(credits=credits, settings=settings, clock=clock, user_id=user_id)


async def _settled(credits: CreditsRepository, user_id: str,
                   dedupe: str) -> LedgerEntry | None:
    """The applied entry for kind:key, copied into the ledger if a crash left it journalled."""
    found = await credits.find_entry(user_id, dedupe)
    if found is None:
        return None
    entry, journalled = found
    return await credits.materialize(entry) if journalled else entry


async def _answer_balance(credits: CreditsRepository, entry: LedgerEntry) -> int:
    if entry.balance_after is not None:
        return entry.balance_after
    wallet = await credits.get_wallet(entry.user_id)
    return wallet["balance"] if wallet else 0


async def debit_credits(*, credits: CreditsRepository, users: UserRepository,
                        settings: Settings, clock: Clock, user_id: str, amount: int,
                        idempotency_key: str, reason: str) -> DebitResult:
    """Take `amount` if the balance allows it (conditional `$inc`); repeat-safe per key."""
    dedupe = dedupe_key(EntryKind.DEBIT, idempotency_key)
    previous = await _settled(credits, user_id, dedupe)
    if previous is not None:
        return DebitResult(await _answer_balance(credits, previous), previous.id)
    await _existing_wallet(credits, users, settings, clock, user_id)
    entry = LedgerEntry(id=new_id(), user_id=user_id, kind=EntryKind.DEBIT, amount=amount,
                        reason=reason, idempotency_key=idempotency_key, created_at=clock())
    wallet = await credits.apply(entry, require_funds=True)
    if wallet is None:
        previous = await _settled(credits, user_id, dedupe)
        if previous is not None:
            return DebitResult(await _answer_balance(credits, previous), previous.id)
        current = await credits.get_wallet(user_id)
        raise InsufficientCredits(details={"balance": current["balance"] if current else 0})
    entry = replace(entry, balance_after=wallet["balance"])
    canonical = await credits.materialize(entry)
    if canonical.id != entry.id:
        return DebitResult(await _answer_balance(credits, canonical), canonical.id)
    log.info("credits_debited", user_id=user_id, amount=amount)
    return DebitResult(wallet["balance"], entry.id)


async def refund_credits(*, credits: CreditsRepository, clock: Clock, user_id: str,
                         idempotency_key: str) -> RefundResult:
    """Give back the debit made with `idempotency_key`, at most once."""
    debit = await _settled(credits, user_id, dedupe_key(EntryKind.DEBIT, idempotency_key))
    wallet = await credits.get_wallet(user_id)
    balance = wallet["balance"] if wallet else 0
    if debit is None:
        return RefundResult(balance, False)
    dedupe = dedupe_key(EntryKind.REFUND, idempotency_key)
    if await _settled(credits, user_id, dedupe) is not None:
        return RefundResult(balance, True)
    entry = LedgerEntry(id=new_id(), user_id=user_id, kind=EntryKind.REFUND,
                        amount=debit.amount, reason=f"Refund: {debit.reason}"[:200],
                        idempotency_key=idempotency_key, created_at=clock())
    wallet = await credits.apply(entry, require_funds=False)
    if wallet is None:
        await _settled(credits, user_id, dedupe)
        current = await credits.get_wallet(user_id)
        return RefundResult(current["balance"] if current else 0, True)
    canonical = await credits.materialize(replace(entry, balance_after=wallet["balance"]))
    if canonical.id != entry.id:
        current = await credits.get_wallet(user_id)
        return RefundResult(current["balance"] if current else 0, True)
    log.info("credits_refunded", user_id=user_id, amount=entry.amount)
    return RefundResult(wallet["balance"], True)


async def get_wallet(*, credits: CreditsRepository, settings: Settings, clock: Clock,
                     user_id: str, limit: int) -> Wallet:
    await open_wallet(credits=credits, settings=settings, clock=clock, user_id=user_id)
    await credits.repair(user_id)
    wallet = await credits.get_wallet(user_id)
    entries = await credits.recent_entries(user_id, limit)
    return Wallet(user_id=user_id, balance=wallet["balance"] if wallet else 0, entries=entries)
