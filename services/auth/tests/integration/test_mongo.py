"""The same races against a real MongoDB (run when MONGODB_URL is set)."""

import asyncio

import pytest

from auth.domain import SIGN_IN_PURPOSES, CodePurpose, InvalidCode
from auth.providers.mail import MailDispatcher
from auth.repository import Repositories
from auth.service.codes import check_code, send_code
from auth.service.credits import debit_credits, refund_credits
from lumi_shared.errors import InsufficientCredits

pytestmark = pytest.mark.mongo


@pytest.fixture
async def repos(real_mongo):
    client, name = real_mongo
    repos = Repositories(client[name])
    await repos.ensure_indexes()
    return repos


async def test_fifty_concurrent_wrong_guesses_count_exactly_five_on_mongodb(
        repos, mailer, settings, clock):
    email = "mongo-guess@example.com"
    await send_code(codes=repos.codes, limiter=repos.limiter, mail=MailDispatcher(mailer),
                    settings=settings, clock=clock, email=email, purpose=CodePurpose.LOGIN,
                    client_ip="ip")
    code = await mailer.code_for(email)
    wrong = str((int(code) + 1) % 10**6).zfill(6)

    async def guess(value: str) -> str:
        try:
            await check_code(codes=repos.codes, limiter=repos.limiter, settings=settings,
                             clock=clock, email=email, code=value, purposes=SIGN_IN_PURPOSES,
                             client_ip="10.0.0.1")
            return "ok"
        except InvalidCode as exc:
            return exc.message

    outcomes = await asyncio.gather(*(guess(wrong) for _ in range(50)))
    assert outcomes.count("Wrong code") == 5
    assert (await repos.codes.collection.find_one({"_id": email}))["attempts"] == 5
    assert await guess(code) != "ok"


async def test_fifty_concurrent_debits_of_one_against_ten_succeed_exactly_ten_times_on_mongodb(
        repos, settings, clock):
    user, _ = await repos.users.upsert_on_login("mongo-wallet@example.com", clock())

    async def debit(key: str):
        try:
            return await debit_credits(credits=repos.credits, users=repos.users,
                                       settings=settings, clock=clock, user_id=user.id,
                                       amount=1, idempotency_key=key, reason="race")
        except InsufficientCredits:
            return None

    results = await asyncio.gather(*(debit(f"k{i}") for i in range(50)))
    assert sum(r is not None for r in results) == 10
    assert (await repos.credits.get_wallet(user.id))["balance"] == 0
    same = await asyncio.gather(*(refund_credits(credits=repos.credits, clock=clock,
                                                 user_id=user.id, idempotency_key="k0")
                                  for _ in range(10)))
    refunded = [r for r in same if r.refunded]
    if refunded:  # k0 may be one of the 40 refused debits
        assert (await repos.credits.get_wallet(user.id))["balance"] == 1


async def test_concurrent_first_logins_of_one_address_make_one_user_on_mongodb(repos, clock):
    results = await asyncio.gather(*(repos.users.upsert_on_login("twin@example.com", clock())
                                     for _ in range(20)))
    assert len({user.id for user, _ in results}) == 1
    assert sum(created for _, created in results) == 1
