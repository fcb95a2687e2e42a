"""Code login through the HTTP API: happy paths, cookie, token and every bad input's shape."""

from http.cookies import SimpleCookie

import pytest

from lumi_shared.testing import as_user


def _set_cookie(response) -> SimpleCookie:
    cookie = SimpleCookie()
    cookie.load(response.headers["set-cookie"])
    return cookie


async def test_login_with_a_mailed_code_returns_a_bearer_token_and_the_user(sign_in):
    response = await sign_in("Ada@Example.com")
    data = response.json()["data"]
    assert data["token"].startswith("Bearer ") and len(data["token"]) > 7 + 40
    user = data["user"]
    assert user["email"] == "ada@example.com"
    assert user["userName"] == "ada" and user["name"] == "ada" and user["nickName"] is None
    assert user["role"] == "user"
    assert user["createdAt"].endswith("Z") and user["lastLoginAt"].endswith("Z")
    assert user["stats"]["totalModels"] == 3 and user["stats"]["likedModelsCount"] == 0


async def test_the_session_cookie_is_httponly_lax_secure_host_prefixed_for_30_days(sign_in):
    response = await sign_in("cookie@example.com")
    raw = response.headers["set-cookie"]
    morsel = _set_cookie(response)["__Host-lumi_session"]
    assert morsel.value == response.json()["data"]["token"].removeprefix("Bearer ")
    assert morsel["httponly"] and morsel["secure"]
    assert morsel["samesite"] == "lax" and morsel["path"] == "/"
    assert morsel["max-age"] == str(30 * 24 * 3600)
    assert "domain" not in raw.lower()
    assert response.headers["cache-control"] == "no-store"


async def test_dev_and_embedded_cookies_are_named_lumi_session_and_not_secure(
        settings_factory, mongo, mailer, clock, stats):
    from auth.main import create_app
    from lumi_shared.testing import running

    app = create_app(settings_factory(LUMI_ENV="dev"), mongo=mongo, mailer=mailer,
                     clock=clock, stats=stats)
    async with running(app) as client:
        await client.post("/api/auth/send-code", json={"email": "dev@example.com"})
        code = await mailer.code_for("dev@example.com")
        response = await client.post("/api/auth/login",
                                     json={"email": "dev@example.com", "code": code})
    morsel = _set_cookie(response)["lumi_session"]
    assert morsel["httponly"] and not morsel["secure"]
    assert morsel["samesite"] == "lax" and morsel["path"] == "/"


@pytest.mark.parametrize("path", ["/api/auth/verify-code", "/api/auth/register"])
async def test_verify_code_and_register_sign_in_like_login(sign_in, path):
    response = await sign_in(f"alias{path.rsplit('/', 1)[1]}@example.com", path=path)
    data = response.json()["data"]
    assert data["token"].startswith("Bearer ") and data["user"]["id"]
    assert "__Host-lumi_session=" in response.headers["set-cookie"]


async def test_the_first_login_creates_the_user_and_later_logins_reuse_it(sign_in):
    first = (await sign_in("again@example.com")).json()["data"]
    second = (await sign_in("again@example.com")).json()["data"]
    assert first["user"]["id"] == second["user"]["id"]
    assert first["token"] != second["token"]


async def test_send_code_answers_the_same_for_known_and_unknown_addresses(client, sign_in):
    await sign_in("known@example.com")
    known = await client.post("/api/auth/send-code", json={"email": "known@example.com"})
    unknown = await client.post("/api/auth/send-code", json={"email": "nobody@example.com"})
    assert known.status_code == unknown.status_code == 200
    assert known.json() == unknown.json()
    skip = {"x-request-id", "date"}
    assert ({k: v for k, v in known.headers.items() if k not in skip}
            == {k: v for k, v in unknown.headers.items() if k not in skip})


async def test_send_code_accepts_every_purpose_and_defaults_to_login(client, mailer):
    for index, purpose in enumerate(["login", "register", "modify_password", None]):
        body = {"email": f"p{index}@example.com"}
        if purpose:
            body["type"] = purpose
        assert (await client.post("/api/auth/send-code", json=body)).status_code == 200
    assert (await client.post("/api/auth/send-code",
                              json={"email": "x@example.com", "type": "hack"})).status_code == 400


@pytest.mark.parametrize("body, field", [
    ({}, "email"),
    ({"email": ""}, "email"),
    ({"email": "not-an-address"}, "email"),
    ({"email": "a@b"}, "email"),
    ({"email": "victim@example.com\r\nBcc: all@example.com"}, "email"),
    ({"email": "victim@example.com\nBcc: all@example.com"}, "email"),
    ({"email": "ùser@exämple.com"}, "email"),
    ({"email": "a" * 250 + "@example.com"}, "email"),
    ({"email": 12345}, "email"),
])
async def test_send_code_refuses_a_missing_or_malformed_email_with_a_validation_error(
        client, mailer, body, field):
    response = await client.post("/api/auth/send-code", json=body)
    assert response.status_code == 400
    payload = response.json()
    assert payload["status"] == "fail"
    assert payload["data"]["code"] == "VALIDATION_ERROR"
    assert payload["data"]["message"].startswith(field)
    assert mailer.messages == []


async def test_a_malformed_json_body_is_a_validation_error(client):
    response = await client.post("/api/auth/login", content=b"{nope",
                                 headers={"content-type": "application/json"})
    assert response.status_code == 400
    assert response.json()["data"]["code"] == "VALIDATION_ERROR"


@pytest.mark.parametrize("code", ["abc123", "12", "123456789", "", None, "12 34"])
async def test_login_refuses_a_code_that_is_not_4_to_8_digits(client, code):
    response = await client.post("/api/auth/login",
                                 json={"email": "shape@example.com", "code": code})
    assert response.status_code == 400
    assert response.json()["data"]["code"] == "VALIDATION_ERROR"


async def test_login_without_an_email_is_a_validation_error(client):
    response = await client.post("/api/auth/login", json={"code": "123456"})
    assert response.status_code == 400
    assert response.json()["data"] == {
        "message": "email: Field required", "code": "VALIDATION_ERROR",
        "details": [{"field": "email", "message": "Field required"}]}


async def test_a_wrong_code_is_a_400_invalid_code_never_a_401(client, mailer):
    await client.post("/api/auth/send-code", json={"email": "wrong@example.com"})
    code = await mailer.code_for("wrong@example.com")
    wrong = str((int(code) + 1) % 10**6).zfill(6)
    response = await client.post("/api/auth/login",
                                 json={"email": "wrong@example.com", "code": wrong})
    assert response.status_code == 400
    assert response.json() == {"status": "fail",
                               "data": {"message": "Wrong code", "code": "INVALID_CODE"}}
    assert "set-cookie" not in response.headers


async def test_a_code_without_a_prior_request_is_invalid(client):
    response = await client.post("/api/auth/login",
                                 json={"email": "never@example.com", "code": "123456"})
    assert response.status_code == 400
    assert response.json()["data"]["code"] == "INVALID_CODE"


async def test_an_admin_email_gets_the_admin_role(settings_factory, mongo, mailer, clock, stats):
    from auth.main import create_app
    from lumi_shared.testing import running

    settings = settings_factory(ADMIN_EMAILS=" Boss@Example.com , other@example.com")
    async with running(create_app(settings, mongo=mongo, mailer=mailer, clock=clock,
                                  stats=stats)) as client:
        await client.post("/api/auth/send-code", json={"email": "boss@example.com"})
        code = await mailer.code_for("boss@example.com")
        response = await client.post("/api/auth/login",
                                     json={"email": "boss@example.com", "code": code})
        user = response.json()["data"]["user"]
        assert user["role"] == "admin"
        me = await client.get("/api/auth/me", headers=as_user(user["id"], "admin"))
        assert me.json()["data"]["user"]["role"] == "admin"


async def test_login_never_fails_because_stats_fail(sign_in, stats):
    stats.fail = True
    response = await sign_in("nostats@example.com")
    assert set(response.json()["data"]["user"]["stats"].values()) == {0}


async def test_login_revokes_the_token_the_client_brought(client, mailer, sign_in,
                                                         as_service):
    old = (await sign_in("fixation@example.com")).json()["data"]["token"]
    await client.post("/api/auth/send-code", json={"email": "fixation@example.com"})
    code = await mailer.code_for("fixation@example.com", 2)
    response = await client.post("/api/auth/login", headers={"authorization": old},
                                 json={"email": "fixation@example.com", "code": code})
    new = response.json()["data"]["token"]
    assert new != old
    resolve = "/internal/sessions/resolve"
    gone = await client.post(resolve, headers=as_service, json={"token": old.split()[1]})
    assert gone.status_code == 404
    alive = await client.post(resolve, headers=as_service, json={"token": new.split()[1]})
    assert alive.status_code == 200


async def test_codes_are_not_logged_outside_dev(client, mailer):
    from structlog.testing import capture_logs

    with capture_logs() as logs:
        await client.post("/api/auth/send-code", json={"email": "quiet@example.com"})
        code = await mailer.code_for("quiet@example.com")
        await client.post("/api/auth/login", json={"email": "quiet@example.com", "code": "000000"})
    assert logs and not any(code in repr(entry) for entry in logs)
