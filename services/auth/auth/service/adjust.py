"""Admin adjustment of a wallet: a signed amount with a reason, journalled like any entry and
kept in the ledger with the admin's id (the audit trail). Never below zero."""

from dataclasses import replace

import structlog

from lumi_shared.errors import InvalidState

from ..config import Settings
from ..domain import Clock, EntryKind, LedgerEntry, dedupe_key
from ..repository import CreditsRepository, UserRepository
from ..security import new_id
from .credits import _answer_balance, _existing_wallet, _settled

log = structlog.get_logger("lumi.auth.credits")


async def adjust_credits(*, credits: CreditsRepository, users: UserRepository,
                         settings: Settings, clock: Clock, admin_id: str, user_id: str,
                         amount: int, reason: str, idempotency_key: str | None) -> LedgerEntry:
    """Add (amount > 0) or take (amount < 0) credits; the same key again changes nothing."""
    kind = EntryKind.ADMIN_CREDIT if amount > 0 else EntryKind.ADMIN_DEBIT
    key = idempotency_key or new_id()
    previous = await _settled(credits, user_id, dedupe_key(kind, key))
    if previous is not None:
        return previous
    await _existing_wallet(credits, users, settings, clock, user_id)
    entry = LedgerEntry(id=new_id(), user_id=user_id, kind=kind, amount=abs(amount),
                        reason=reason, idempotency_key=key, created_at=clock(),
                        actor_id=admin_id)
    wallet = await credits.apply(entry, require_funds=kind == EntryKind.ADMIN_DEBIT)
    if wallet is None:
        previous = await _settled(credits, user_id, entry.dedupe)
        if previous is not None:
            return previous
        raise InvalidState("The balance cannot go below zero")
    canonical = await credits.materialize(replace(entry, balance_after=wallet["balance"]))
    if canonical.id == entry.id:
        log.info("credits_adjusted", user_id=user_id, admin_id=admin_id, delta=entry.delta,
                 balance=wallet["balance"])
        return replace(entry, balance_after=wallet["balance"])
    return replace(canonical, balance_after=await _answer_balance(credits, canonical))
