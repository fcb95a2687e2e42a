"""Use cases of login codes against the in-process store (atomicity, limits, storage)."""

import asyncio

import pytest

from auth.domain import SIGN_IN_PURPOSES, CodePurpose, InvalidCode
from auth.providers.mail import MailDispatcher
from auth.repository import Repositories
from auth.service.codes import check_code, send_code
from lumi_shared.errors import RateLimited

EMAIL = "guess@example.com"


@pytest.fixture
def repos(unit_db) -> Repositories:
    return Repositories(unit_db)


@pytest.fixture
async def send(repos, mailer, settings, clock):
    await repos.ensure_indexes()
    dispatcher = MailDispatcher(mailer)

    async def _send(email: str = EMAIL, purpose: CodePurpose = CodePurpose.LOGIN,
                    ip: str = "10.0.0.1") -> str:
        count = len(mailer.codes_for(email))
        await send_code(codes=repos.codes, limiter=repos.limiter, mail=dispatcher,
                        settings=settings, clock=clock, email=email, purpose=purpose,
                        client_ip=ip)
        return await mailer.code_for(email, count + 1)

    return _send


@pytest.fixture
def check(repos, settings, clock):
    async def _check(code: str, email: str = EMAIL, purposes=SIGN_IN_PURPOSES) -> None:
        await check_code(codes=repos.codes, limiter=repos.limiter, settings=settings,
                         clock=clock, email=email, code=code, purposes=purposes,
                         client_ip="10.0.0.1")

    return _check


def _wrong(code: str) -> str:
    return str((int(code) + 1) % 10 ** len(code)).zfill(len(code))


async def _outcome(coro) -> str:
    try:
        await coro
        return "ok"
    except InvalidCode as exc:
        return exc.message
    except RateLimited:
        return "limited"


async def test_only_an_hmac_of_the_code_is_stored(send, repos):
    code = await send()
    doc = await repos.codes.collection.find_one({"_id": EMAIL})
    assert code not in repr(doc)
    assert len(doc["code_hash"]) == 64 and doc["attempts"] == 0 and doc["used"] is False


async def test_fifty_concurrent_wrong_guesses_count_exactly_five(send, check, repos):
    code = await send()
    outcomes = await asyncio.gather(*(_outcome(check(_wrong(code))) for _ in range(50)))
    assert outcomes.count("Wrong code") == 5
    assert outcomes.count("Code expired or already used; request a new one") == 45
    assert (await repos.codes.collection.find_one({"_id": EMAIL}))["attempts"] == 5
    assert await _outcome(check(code)) != "ok"


async def test_a_right_guess_racing_wrong_ones_succeeds_at_most_once(send, check):
    code = await send()
    guesses = [_wrong(code)] * 20 + [code] * 10 + [_wrong(code)] * 20
    outcomes = await asyncio.gather(*(_outcome(check(g)) for g in guesses))
    assert outcomes.count("ok") <= 1
    assert outcomes.count("Wrong code") <= 5


async def test_ten_concurrent_right_guesses_after_four_wrong_ones_sign_in_once(send, check):
    code = await send()
    for _ in range(4):
        assert await _outcome(check(_wrong(code))) == "Wrong code"
    outcomes = await asyncio.gather(*(_outcome(check(code)) for _ in range(10)))
    assert outcomes.count("ok") == 1


async def test_a_code_for_another_purpose_does_not_sign_in(send, check):
    code = await send(purpose=CodePurpose.MODIFY_PASSWORD)
    assert await _outcome(check(code)) != "ok"
    assert await _outcome(check(code, purposes={CodePurpose.MODIFY_PASSWORD})) == "ok"


async def test_login_and_register_codes_are_interchangeable(send, check, clock):
    code = await send(purpose=CodePurpose.REGISTER)
    assert await _outcome(check(code)) == "ok"


async def test_concurrent_sends_within_the_cooldown_mail_one_code(repos, mailer, settings,
                                                                  clock):
    dispatcher = MailDispatcher(mailer)
    results = await asyncio.gather(*(
        _outcome(send_code(codes=repos.codes, limiter=repos.limiter, mail=dispatcher,
                           settings=settings, clock=clock, email=EMAIL,
                           purpose=CodePurpose.LOGIN, client_ip="10.0.0.1"))
        for _ in range(10)), return_exceptions=True)
    await dispatcher.drain()
    assert results.count("ok") == 1 and results.count("limited") == 9
    assert len(mailer.messages) == 1


async def test_the_resend_cooldown_does_not_use_up_the_hourly_quota(send, clock):
    await send()
    for _ in range(10):
        with pytest.raises(RateLimited):
            await send()
    clock.advance(seconds=60)
    await send()


async def test_rate_limit_counters_live_in_the_database_with_an_expiry(send, repos):
    await send()
    counters = await repos.limiter.collection.find().to_list()
    assert {c["_id"].split(":")[0] for c in counters} == {"send_code_ip", "send_code_email"}
    assert all(len(c["events"]) == 1 and c["expires_at"] for c in counters)  # sliding window log
    assert not any(EMAIL in c["_id"] for c in counters)


async def test_the_code_length_is_configurable(repos, mailer, settings_factory, clock):
    settings = settings_factory(CODE_LENGTH=8)
    dispatcher = MailDispatcher(mailer)
    await send_code(codes=repos.codes, limiter=repos.limiter, mail=dispatcher,
                    settings=settings, clock=clock, email=EMAIL, purpose=CodePurpose.LOGIN,
                    client_ip="ip")
    assert len(await mailer.code_for(EMAIL)) == 8
