"""Profile updates, user lookup and the 401 shape of protected routes."""

import pytest

from lumi_shared.testing import as_user


async def _user_id(sign_in, email: str) -> str:
    return (await sign_in(email)).json()["data"]["user"]["id"]


async def test_update_changes_the_callers_profile(client, sign_in):
    user_id = await _user_id(sign_in, "profile@example.com")
    response = await client.post("/api/users/update", headers=as_user(user_id), json={
        "nick_name": "  Ada L.  ", "avatar": "https://cdn.example.com/a.png", "gender": "female"})
    assert response.status_code == 200
    user = response.json()["data"]["user"]
    assert (user["nickName"], user["name"], user["avatar"], user["gender"]) == (
        "Ada L.", "Ada L.", "https://cdn.example.com/a.png", "female")
    me = (await client.get("/api/auth/me", headers=as_user(user_id))).json()["data"]["user"]
    assert me["nickName"] == "Ada L."


async def test_update_with_only_some_fields_keeps_the_others(client, sign_in):
    user_id = await _user_id(sign_in, "partial@example.com")
    await client.post("/api/users/update", headers=as_user(user_id),
                      json={"nick_name": "First", "gender": "other"})
    response = await client.post("/api/users/update", headers=as_user(user_id),
                                 json={"avatar": "http://img.example.com/x.jpg"})
    user = response.json()["data"]["user"]
    assert (user["nickName"], user["gender"]) == ("First", "other")


async def test_update_with_the_callers_own_id_in_the_body_is_accepted(client, sign_in):
    user_id = await _user_id(sign_in, "own@example.com")
    response = await client.post("/api/users/update", headers=as_user(user_id),
                                 json={"id": user_id, "nick_name": "Me"})
    assert response.status_code == 200


async def test_update_naming_another_user_is_refused_and_changes_nothing(client, sign_in):
    victim = await _user_id(sign_in, "victim@example.com")
    attacker = await _user_id(sign_in, "attacker@example.com")
    response = await client.post("/api/users/update", headers=as_user(attacker),
                                 json={"id": victim, "nick_name": "pwned"})
    assert response.status_code == 403
    assert response.json()["data"]["code"] == "FORBIDDEN"
    for user_id in (victim, attacker):
        me = (await client.get("/api/auth/me", headers=as_user(user_id))).json()["data"]["user"]
        assert me["nickName"] is None


async def test_update_ignores_fields_that_are_not_editable(client, sign_in):
    user_id = await _user_id(sign_in, "mass@example.com")
    response = await client.post("/api/users/update", headers=as_user(user_id), json={
        "nick_name": "ok", "role": "admin", "email": "boss@example.com", "balance": 10**6})
    user = response.json()["data"]["user"]
    assert (user["role"], user["email"]) == ("user", "mass@example.com")


@pytest.mark.parametrize("body", [
    {"nick_name": ""}, {"nick_name": "x" * 51}, {"nick_name": "bad\nname"},
    {"avatar": "javascript:alert(1)"}, {"avatar": "ftp://x"}, {"gender": "g" * 21},
])
async def test_update_refuses_invalid_values(client, sign_in, body):
    user_id = await _user_id(sign_in, "invalid@example.com")
    response = await client.post("/api/users/update", headers=as_user(user_id), json=body)
    assert response.status_code == 400
    assert response.json()["data"]["code"] == "VALIDATION_ERROR"


async def test_protected_routes_without_a_session_answer_401_unauthorized(client):
    for method, path in (("POST", "/api/users/update"), ("GET", "/api/credits")):
        response = await client.request(method, path, json={"nick_name": "x"})
        assert response.status_code == 401
        assert response.json() == {"status": "fail", "data": {
            "message": "Please log in", "code": "UNAUTHORIZED"}}


async def test_lookup_returns_public_summaries_never_derived_from_the_email(client, sign_in,
                                                                          as_service):
    first = await _user_id(sign_in, "one.secret@example.com")
    second = await _user_id(sign_in, "two@example.com")
    await client.post("/api/users/update", headers=as_user(second), json={"nick_name": "Two"})
    response = await client.post("/internal/users/lookup", headers=as_service,
                                 json={"ids": [first, second, "unknown", first]})
    assert response.json()["data"] == {
        first: {"id": first, "name": f"Lumi user {first[-6:]}", "avatar": None},
        second: {"id": second, "name": "Two", "avatar": None}}


async def test_lookup_refuses_more_than_100_ids(client, as_service):
    response = await client.post("/internal/users/lookup", headers=as_service,
                                 json={"ids": [str(i) for i in range(101)]})
    assert response.status_code == 400
