"""Credits use cases: conditional debits, idempotency, refunds and crash repair."""

import asyncio
from contextlib import suppress
from datetime import UTC, datetime

import pytest

from auth.domain import EntryKind, LedgerEntry
from auth.repository import Repositories
from auth.service.credits import debit_credits, get_wallet, open_wallet, refund_credits
from lumi_shared.errors import InsufficientCredits, NotFound

USER = "user-1"


@pytest.fixture
async def repos(unit_db, clock) -> Repositories:
    repos = Repositories(unit_db)
    await repos.ensure_indexes()
    await repos.users.upsert_on_login("wallet@example.com", clock())
    return repos


@pytest.fixture
async def user_id(repos) -> str:
    return (await repos.users.collection.find_one({"email": "wallet@example.com"}))["_id"]


@pytest.fixture
def debit(repos, settings, clock, user_id):
    async def _debit(key: str, amount: int = 1, who: str | None = None):
        return await debit_credits(credits=repos.credits, users=repos.users, settings=settings,
                                   clock=clock, user_id=who or user_id, amount=amount,
                                   idempotency_key=key, reason="test")

    return _debit


@pytest.fixture
def refund(repos, clock, user_id):
    async def _refund(key: str):
        return await refund_credits(credits=repos.credits, clock=clock, user_id=user_id,
                                    idempotency_key=key)

    return _refund


async def _balance(repos, user_id) -> int:
    return (await repos.credits.get_wallet(user_id))["balance"]


async def _ledger_sum(repos, user_id) -> int:
    await repos.credits.repair(user_id)
    entries = await repos.credits.recent_entries(user_id, 1000)
    return sum(e.delta for e in entries)


async def _outcome(coro):
    try:
        return await coro
    except InsufficientCredits:
        return "402"


async def test_fifty_concurrent_debits_of_one_against_ten_succeed_exactly_ten_times(
        debit, repos, user_id):
    results = await asyncio.gather(*(_outcome(debit(f"job-{i}")) for i in range(50)))
    assert sum(r != "402" for r in results) == 10
    assert await _balance(repos, user_id) == 0
    assert await _ledger_sum(repos, user_id) == 0
    assert sorted(r.balance for r in results if r != "402") == list(range(10))


async def test_fifty_concurrent_debits_with_one_key_debit_once(debit, repos, user_id):
    results = await asyncio.gather(*(debit("same", 2) for _ in range(50)))
    assert {r.entry_id for r in results} == {results[0].entry_id}
    assert await _balance(repos, user_id) == 8
    assert await _ledger_sum(repos, user_id) == 8


async def test_a_debit_that_does_not_fit_changes_nothing(debit, repos, user_id):
    with pytest.raises(InsufficientCredits):
        await debit("big", 11)
    assert await _balance(repos, user_id) == 10
    await debit("big", 10)
    assert await _balance(repos, user_id) == 0


async def test_a_debit_for_a_user_that_does_not_exist_is_not_found(debit):
    with pytest.raises(NotFound):
        await debit("k", who="nobody")


async def test_a_wallet_is_opened_lazily_with_the_grant_for_an_existing_user(debit, repos,
                                                                             user_id):
    assert await repos.credits.get_wallet(user_id) is None
    result = await debit("first", 4)
    assert result.balance == 6
    kinds = [e.kind for e in await repos.credits.recent_entries(user_id, 10)]
    assert sorted(kinds) == [EntryKind.DEBIT, EntryKind.GRANT]


async def test_concurrent_wallet_opening_grants_once(repos, settings, clock, user_id):
    await asyncio.gather(*(open_wallet(credits=repos.credits, settings=settings, clock=clock,
                                       user_id=user_id) for _ in range(20)))
    assert await _balance(repos, user_id) == 10
    assert await _ledger_sum(repos, user_id) == 10


async def test_the_starting_grant_is_configurable(repos, settings_factory, clock, user_id):
    settings = settings_factory(STARTING_CREDITS=0)
    await open_wallet(credits=repos.credits, settings=settings, clock=clock, user_id=user_id)
    assert await _balance(repos, user_id) == 0
    assert await repos.credits.recent_entries(user_id, 10) == []


async def test_a_refund_restores_the_debit_once_however_often_it_is_asked(debit, refund,
                                                                         repos, user_id):
    await debit("task", 3)
    results = await asyncio.gather(*(refund("task") for _ in range(20)))
    assert all(r.refunded for r in results)
    assert await _balance(repos, user_id) == 10
    assert await _ledger_sum(repos, user_id) == 10
    kinds = [e.kind for e in await repos.credits.recent_entries(user_id, 10)]
    assert kinds.count(EntryKind.REFUND) == 1


async def test_a_refund_without_a_debit_refunds_nothing(refund, repos, user_id, settings,
                                                        clock):
    await open_wallet(credits=repos.credits, settings=settings, clock=clock, user_id=user_id)
    result = await refund("never")
    assert (result.balance, result.refunded) == (10, False)


async def test_a_debit_key_can_be_refunded_then_is_not_debited_again(debit, refund, repos,
                                                                     user_id):
    first = await debit("once", 5)
    await refund("once")
    again = await debit("once", 5)
    assert again.entry_id == first.entry_id
    assert await _balance(repos, user_id) == 10


async def test_a_crash_between_the_wallet_write_and_the_ledger_is_repaired_on_retry(
        debit, repos, user_id, settings, clock):
    await open_wallet(credits=repos.credits, settings=settings, clock=clock, user_id=user_id)
    entry = LedgerEntry(id="crashed", user_id=user_id, kind=EntryKind.DEBIT, amount=4,
                        reason="test", idempotency_key="crash", created_at=clock())
    assert await repos.credits.apply(entry, require_funds=True) is not None  # then "crash"
    retried = await debit("crash", 4)
    assert retried.entry_id == "crashed" and retried.balance == 6
    assert await _balance(repos, user_id) == 6
    wallet = await repos.credits.get_wallet(user_id)
    assert wallet["pending"] == []
    assert await _ledger_sum(repos, user_id) == 6


async def test_reading_the_wallet_repairs_a_crashed_entry(repos, settings, clock, user_id):
    await open_wallet(credits=repos.credits, settings=settings, clock=clock, user_id=user_id)
    entry = LedgerEntry(id="orphan", user_id=user_id, kind=EntryKind.DEBIT, amount=2,
                        reason="test", idempotency_key="orphan", created_at=clock())
    await repos.credits.apply(entry, require_funds=True)
    wallet = await get_wallet(credits=repos.credits, settings=settings, clock=clock,
                              user_id=user_id, limit=10)
    assert wallet.balance == 8
    assert [e.id for e in wallet.entries if e.kind == EntryKind.DEBIT] == ["orphan"]


async def test_a_duplicate_applied_after_the_original_settled_is_reverted(debit, repos,
                                                                          user_id, clock):
    first = await debit("dup", 3)
    late = LedgerEntry(id="late", user_id=user_id, kind=EntryKind.DEBIT, amount=3,
                       reason="test", idempotency_key="dup", created_at=clock())
    assert await repos.credits.apply(late, require_funds=True) is not None
    assert await _balance(repos, user_id) == 4
    canonical = await repos.credits.materialize(late)
    assert canonical.id == first.entry_id
    assert await _balance(repos, user_id) == 7
    assert (await repos.credits.get_wallet(user_id))["pending"] == []


async def test_the_balance_always_equals_the_sum_of_the_ledger(debit, refund, repos, user_id):
    async def step(i: int):
        with suppress(InsufficientCredits):
            await debit(f"k{i % 7}", 1 + i % 3)
        if i % 2:
            await refund(f"k{(i * 3) % 7}")

    await asyncio.gather(*(step(i) for i in range(40)))
    balance = await _balance(repos, user_id)
    assert balance >= 0
    assert balance == await _ledger_sum(repos, user_id)


def test_ledger_entries_round_trip_through_documents():
    entry = LedgerEntry(id="e", user_id="u", kind=EntryKind.REFUND, amount=2, reason="r",
                        idempotency_key="k", created_at=datetime(2025, 1, 1, tzinfo=UTC),
                        balance_after=5)
    assert LedgerEntry.from_doc(entry.to_doc()) == entry
    assert entry.delta == 2 and entry.dedupe == "refund:k"
