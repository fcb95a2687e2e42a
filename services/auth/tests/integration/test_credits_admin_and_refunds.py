"""Admin adjustments (audited, never below zero) and refunds driven by GenerationFailed."""

from lumi_shared.contracts import GenerationFailed
from lumi_shared.testing import as_user

DEBIT = "/internal/credits/debit"


async def _user_id(sign_in, email: str) -> str:
    return (await sign_in(email)).json()["data"]["user"]["id"]


async def _wallet(client, user_id: str) -> dict:
    response = await client.get("/api/credits", headers=as_user(user_id), params={"limit": 100})
    return response.json()["data"]


async def test_an_admin_adjustment_moves_the_balance_and_leaves_an_audit_entry(client, sign_in):
    user_id = await _user_id(sign_in, "topup@example.com")
    response = await client.post(f"/api/admin/credits/{user_id}",
                                 headers=as_user("boss", role="admin"),
                                 json={"amount": 90, "reason": "Support ticket 42"})
    assert response.status_code == 200, response.text
    assert response.json()["data"]["balance"] == 100
    entry = (await _wallet(client, user_id))["entries"][0]
    assert (entry["kind"], entry["delta"], entry["reason"], entry["actorId"]) == (
        "admin_credit", 90, "Support ticket 42", "boss")
    seen = await client.get(f"/api/admin/credits/{user_id}", headers=as_user("boss", "admin"))
    assert seen.json()["data"]["balance"] == 100


async def test_an_adjustment_is_idempotent_per_key_and_never_goes_below_zero(client, sign_in):
    user_id = await _user_id(sign_in, "take@example.com")
    admin = as_user("boss", role="admin")
    body = {"amount": -4, "reason": "Chargeback", "idempotency_key": "cb-1"}
    for _ in range(2):
        response = await client.post(f"/api/admin/credits/{user_id}", headers=admin, json=body)
        assert response.json()["data"]["balance"] == 6
    too_much = await client.post(f"/api/admin/credits/{user_id}", headers=admin,
                                 json={"amount": -7, "reason": "Too much"})
    assert too_much.status_code == 409
    assert (await _wallet(client, user_id))["balance"] == 6


async def test_adjustments_need_the_admin_role_and_a_known_user(client, sign_in):
    user_id = await _user_id(sign_in, "self@example.com")
    mine = await client.post(f"/api/admin/credits/{user_id}", headers=as_user(user_id),
                             json={"amount": 1000, "reason": "please"})
    assert mine.status_code == 403
    ghost = await client.post("/api/admin/credits/nobody", headers=as_user("boss", "admin"),
                              json={"amount": 5, "reason": "x"})
    assert ghost.status_code == 404
    zero = await client.post(f"/api/admin/credits/{user_id}", headers=as_user("boss", "admin"),
                             json={"amount": 0, "reason": "x"})
    assert zero.status_code == 400
    assert (await _wallet(client, user_id))["balance"] == 10


async def test_generation_failed_refunds_once_under_duplicated_and_reordered_events(
        app, client, sign_in, as_service):
    user_id = await _user_id(sign_in, "refund@example.com")
    for key in ("gen-a", "gen-b"):
        debit = await client.post(DEBIT, headers=as_service, json={
            "user_id": user_id, "amount": 4, "idempotency_key": key, "reason": "Studio"})
        assert debit.status_code == 200
    assert (await _wallet(client, user_id))["balance"] == 2
    bus = app.state.infra.bus
    a1 = GenerationFailed(generation_id="gen-a", user_id=user_id, credits=4, error_code="X")
    a2 = GenerationFailed(generation_id="gen-a", user_id=user_id, credits=4, error_code="Y")
    b1 = GenerationFailed(generation_id="gen-b", user_id=user_id, credits=4, error_code="X")
    unknown = GenerationFailed(generation_id="gen-z", user_id=user_id, credits=4, error_code="X")
    for event in (b1, a2, a1, b1, unknown, a2):
        await bus.publish(event)
    await bus.drain()
    wallet = await _wallet(client, user_id)
    assert wallet["balance"] == 10
    kinds = [(e["kind"], e["delta"]) for e in wallet["entries"]]
    assert kinds.count(("refund", 4)) == 2 and len(kinds) == 5
