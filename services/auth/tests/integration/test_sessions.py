"""Sessions over HTTP: /me, resolve, logout and revocation fan-out."""

import hashlib

from lumi_shared.contracts import SessionRevoked
from lumi_shared.testing import as_user, wait_for

RESOLVE = "/internal/sessions/resolve"


def _token(response) -> str:
    return response.json()["data"]["token"].removeprefix("Bearer ")


async def test_resolve_returns_user_role_session_id_and_expiry(client, sign_in, as_service,
                                                               clock):
    login = await sign_in("resolve@example.com")
    token = _token(login)
    response = await client.post(RESOLVE, headers=as_service, json={"token": token})
    assert response.status_code == 200
    data = response.json()["data"]
    assert data["user_id"] == login.json()["data"]["user"]["id"]
    assert data["role"] == "user"
    assert data["session_id"] == hashlib.sha256(token.encode()).hexdigest()
    assert data["expires_at"].endswith("Z")


async def test_resolve_accepts_the_token_with_its_bearer_prefix(client, sign_in, as_service):
    token = (await sign_in("prefix@example.com")).json()["data"]["token"]
    response = await client.post(RESOLVE, headers=as_service, json={"token": token})
    assert response.status_code == 200


async def test_resolve_answers_404_for_an_unknown_token(client, as_service):
    response = await client.post(RESOLVE, headers=as_service, json={"token": "made-up"})
    assert response.status_code == 404
    assert response.json()["data"]["code"] == "NOT_FOUND"


async def test_resolve_answers_404_once_the_session_expired(client, sign_in, as_service, clock):
    token = _token(await sign_in("expire@example.com"))
    clock.advance(days=30)
    response = await client.post(RESOLVE, headers=as_service, json={"token": token})
    assert response.status_code == 404


async def test_internal_endpoints_refuse_users_and_anonymous_callers(client, sign_in):
    token = _token(await sign_in("internal@example.com"))
    anonymous = await client.post(RESOLVE, json={"token": token})
    as_a_user = await client.post(RESOLVE, json={"token": token}, headers=as_user("u1"))
    for response in (anonymous, as_a_user):
        assert response.status_code == 401
        assert response.json()["data"]["code"] == "UNAUTHORIZED"


async def test_a_logged_out_token_is_refused_by_resolve(client, sign_in, as_service):
    token = _token(await sign_in("bye@example.com"))
    response = await client.post("/api/auth/logout", json={},
                                 headers={"authorization": f"Bearer {token}"})
    assert response.status_code == 200
    assert response.json() == {"status": "success", "data": {"message": "Logged out"}}
    cleared = response.headers["set-cookie"]
    assert cleared.startswith("__Host-lumi_session=") and "Max-Age=0" in cleared
    assert (await client.post(RESOLVE, headers=as_service, json={"token": token})).status_code \
        == 404


async def test_logout_with_the_cookie_and_no_body_revokes_the_session(client, sign_in,
                                                                       as_service):
    token = _token(await sign_in("cookiebye@example.com"))
    response = await client.post("/api/auth/logout",
                                 headers={"cookie": f"__Host-lumi_session={token}"})
    assert response.status_code == 200
    assert (await client.post(RESOLVE, headers=as_service, json={"token": token})).status_code \
        == 404


async def test_logout_with_the_dev_cookie_name_also_revokes(client, sign_in, as_service):
    token = _token(await sign_in("devcookie@example.com"))
    await client.post("/api/auth/logout", content=b"not even json",
                      headers={"cookie": f"lumi_session={token}", "content-type": "text/plain"})
    assert (await client.post(RESOLVE, headers=as_service, json={"token": token})).status_code \
        == 404


async def test_logout_by_identity_session_id_revokes_that_session(client, sign_in, as_service):
    login = await sign_in("sid@example.com")
    token = _token(login)
    sid = hashlib.sha256(token.encode()).hexdigest()
    user_id = login.json()["data"]["user"]["id"]
    await client.post("/api/auth/logout", headers=as_user(user_id, session_id=sid))
    assert (await client.post(RESOLVE, headers=as_service, json={"token": token})).status_code \
        == 404


async def test_logout_without_any_credential_still_succeeds_and_clears_the_cookie(client):
    response = await client.post("/api/auth/logout")
    assert response.status_code == 200
    assert "Max-Age=0" in response.headers["set-cookie"]


async def test_logout_publishes_session_revoked_through_the_outbox(app, client, sign_in):
    received: list[SessionRevoked] = []

    async def collect(event):
        received.append(event)

    app.state.infra.bus.subscribe_broadcast("test-gateway", collect)
    login = await sign_in("event@example.com")
    token = _token(login)
    await client.post("/api/auth/logout", headers={"authorization": f"Bearer {token}"})
    await wait_for(lambda: received, timeout=1.0)
    event = received[0]
    assert isinstance(event, SessionRevoked)
    assert event.session_id == hashlib.sha256(token.encode()).hexdigest()
    assert event.user_id == login.json()["data"]["user"]["id"]
    session = await app.state.auth.repos.sessions.collection.find_one({"_id": event.session_id})
    assert session["revoked_at"] is not None


async def test_logging_out_twice_publishes_one_event(app, client, sign_in):
    received = []

    async def collect(event):
        received.append(event)

    app.state.infra.bus.subscribe_broadcast("test-gateway", collect)
    token = _token(await sign_in("twice@example.com"))
    for _ in range(2):
        await client.post("/api/auth/logout", headers={"authorization": f"Bearer {token}"})
    await wait_for(lambda: received, timeout=2.0)
    collection = app.state.auth.repos.sessions.collection
    await wait_for(lambda: _outbox_empty(collection), timeout=2.0)
    assert len(received) == 1


async def _outbox_empty(collection) -> bool:
    return await collection.count_documents({"outbox.0": {"$exists": True}}) == 0


async def test_me_is_unauthenticated_without_a_credential(client):
    response = await client.get("/api/auth/me")
    assert response.status_code == 200
    assert response.json() == {"status": "success",
                               "data": {"status": "unauthenticated", "user": None}}


async def test_me_is_expired_when_the_gateway_flags_a_rejected_credential(client):
    response = await client.get("/api/auth/me", headers={"x-lumi-auth": "invalid"})
    assert response.json()["data"] == {"status": "expired", "user": None}


async def test_me_is_expired_and_not_401_with_a_forged_identity(client):
    response = await client.get("/api/auth/me", headers={"x-lumi-identity": "forged.sig"})
    assert response.status_code == 200
    assert response.json()["data"] == {"status": "expired", "user": None}


async def test_me_returns_the_full_user_with_stats(client, sign_in):
    user_id = (await sign_in("me@example.com")).json()["data"]["user"]["id"]
    response = await client.get("/api/auth/me", headers=as_user(user_id))
    data = response.json()["data"]
    assert data["status"] == "authenticated"
    user = data["user"]
    assert set(user) == {"id", "email", "name", "userName", "nickName", "avatar", "gender",
                         "role", "createdAt", "lastLoginAt", "stats"}
    assert set(user["stats"]) == {
        "totalModels", "publicModels", "privateModels", "totalLikes", "totalFavorites",
        "totalViews", "totalDownloads", "likedModelsCount", "favoritedModelsCount",
        "totalRequests", "completedRequests", "failedRequests"}
    assert user["stats"]["totalRequests"] == 4
    assert response.headers["cache-control"] == "no-store"


async def test_me_answers_zeros_when_stats_fail(client, sign_in, stats):
    user_id = (await sign_in("me0@example.com")).json()["data"]["user"]["id"]
    stats.fail = True
    response = await client.get("/api/auth/me", headers=as_user(user_id))
    assert response.status_code == 200
    assert set(response.json()["data"]["user"]["stats"].values()) == {0}


async def test_me_for_an_identity_whose_user_is_gone_is_expired(client):
    response = await client.get("/api/auth/me", headers=as_user("ghost"))
    assert response.json()["data"] == {"status": "expired", "user": None}


async def test_logout_understands_a_doubled_bearer_prefix(client, sign_in, as_service):
    stored = (await sign_in("double@example.com")).json()["data"]["token"]
    await client.post("/api/auth/logout", headers={"authorization": f"Bearer {stored}"})
    token = stored.removeprefix("Bearer ")
    assert (await client.post(RESOLVE, headers=as_service, json={"token": token})).status_code \
        == 404
