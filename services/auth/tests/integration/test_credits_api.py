"""The credits wallet over HTTP: balance, ledger, internal debit and refund."""

import asyncio

from lumi_shared.testing import as_user

DEBIT, REFUND = "/internal/credits/debit", "/internal/credits/refund"


async def _user_id(sign_in, email: str) -> str:
    return (await sign_in(email)).json()["data"]["user"]["id"]


async def test_a_new_user_has_the_starting_grant(client, sign_in):
    user_id = await _user_id(sign_in, "grant@example.com")
    response = await client.get("/api/credits", headers=as_user(user_id))
    data = response.json()["data"]
    assert data["balance"] == 10
    assert [(e["kind"], e["amount"], e["balanceAfter"]) for e in data["entries"]] == [
        ("grant", 10, 10)]


async def test_debit_then_refund_moves_the_balance_and_shows_in_the_ledger(
        client, sign_in, as_service, clock):
    user_id = await _user_id(sign_in, "spend@example.com")
    body = {"user_id": user_id, "amount": 3, "idempotency_key": "task-1", "reason": "Image"}
    debit = await client.post(DEBIT, headers=as_service, json=body)
    assert debit.status_code == 200
    assert debit.json()["data"]["balance"] == 7 and debit.json()["data"]["entry_id"]
    clock.advance(seconds=1)
    refund = await client.post(REFUND, headers=as_service,
                               json={"user_id": user_id, "idempotency_key": "task-1"})
    assert refund.json()["data"] == {"balance": 10, "refunded": True}
    entries = (await client.get("/api/credits", headers=as_user(user_id))).json()["data"][
        "entries"]
    assert [(e["kind"], e["delta"]) for e in entries] == [("refund", 3), ("debit", -3),
                                                          ("grant", 10)]


async def test_the_same_debit_key_twice_gives_the_same_answer_and_one_debit(
        client, sign_in, as_service):
    user_id = await _user_id(sign_in, "twice@example.com")
    body = {"user_id": user_id, "amount": 2, "idempotency_key": "k", "reason": "x"}
    first = await client.post(DEBIT, headers=as_service, json=body)
    second = await client.post(DEBIT, headers=as_service, json=body)
    assert first.json() == second.json()
    balance = (await client.get("/api/credits", headers=as_user(user_id))).json()["data"]
    assert balance["balance"] == 8


async def test_a_debit_above_the_balance_is_402_insufficient_credits(client, sign_in,
                                                                      as_service):
    user_id = await _user_id(sign_in, "poor@example.com")
    response = await client.post(DEBIT, headers=as_service, json={
        "user_id": user_id, "amount": 11, "idempotency_key": "big", "reason": "x"})
    assert response.status_code == 402
    assert response.json()["data"] == {"message": "Not enough credits",
                                       "code": "INSUFFICIENT_CREDITS",
                                       "details": {"balance": 10}}


async def test_fifty_concurrent_debits_of_one_against_ten_succeed_exactly_ten_times(
        client, sign_in, as_service):
    user_id = await _user_id(sign_in, "race@example.com")
    responses = await asyncio.gather(*(
        client.post(DEBIT, headers=as_service, json={
            "user_id": user_id, "amount": 1, "idempotency_key": f"r{i}", "reason": "race"})
        for i in range(50)))
    codes = [r.status_code for r in responses]
    assert codes.count(200) == 10 and codes.count(402) == 40
    wallet = (await client.get("/api/credits", headers=as_user(user_id),
                               params={"limit": 100})).json()["data"]
    assert wallet["balance"] == 0
    assert sum(1 for e in wallet["entries"] if e["kind"] == "debit") == 10


async def test_a_refund_of_an_unknown_debit_refunds_nothing(client, sign_in, as_service):
    user_id = await _user_id(sign_in, "norefund@example.com")
    response = await client.post(REFUND, headers=as_service,
                                 json={"user_id": user_id, "idempotency_key": "nope"})
    assert response.json()["data"] == {"balance": 10, "refunded": False}


async def test_a_debit_for_an_unknown_user_is_404(client, as_service):
    response = await client.post(DEBIT, headers=as_service, json={
        "user_id": "ghost", "amount": 1, "idempotency_key": "k", "reason": "x"})
    assert response.status_code == 404


async def test_debit_validates_its_body(client, as_service):
    for body in ({"user_id": "u", "amount": 0, "idempotency_key": "k"},
                 {"user_id": "u", "amount": -1, "idempotency_key": "k"},
                 {"user_id": "u", "amount": "1", "idempotency_key": "k"},
                 {"user_id": "u", "amount": 1}):
        response = await client.post(DEBIT, headers=as_service, json=body)
        assert response.status_code == 400, body
        assert response.json()["data"]["code"] == "VALIDATION_ERROR"


async def test_credit_routes_are_internal_only(client, sign_in):
    user_id = await _user_id(sign_in, "sneaky@example.com")
    response = await client.post(DEBIT, headers=as_user(user_id), json={
        "user_id": user_id, "amount": 1, "idempotency_key": "k", "reason": "x"})
    assert response.status_code == 401


async def test_the_ledger_listing_limit_is_bounded(client, sign_in):
    user_id = await _user_id(sign_in, "limit@example.com")
    for limit in (0, 101):
        response = await client.get("/api/credits", headers=as_user(user_id),
                                    params={"limit": limit})
        assert response.status_code == 400
