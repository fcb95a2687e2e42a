"""The mobile app registers with a code and then logs in with the same code: the code a
registration used is good for exactly one login of the same address within its validity."""

import asyncio

from lumi_shared.testing import as_user

GONE = "Code expired or already used; request a new one"


async def _code(client, mailer, email: str) -> str:
    sent = len(mailer.codes_for(email))
    response = await client.post("/api/auth/send-code", json={"email": email, "type": "register"})
    assert response.status_code == 200, response.text
    return await mailer.code_for(email, sent + 1)


async def _post(client, path: str, email: str, code: str):
    return await client.post(path, json={"email": email, "code": code})


async def test_register_then_login_with_the_same_code_works_exactly_once(client, mailer):
    code = await _code(client, mailer, "app@example.com")
    registered = await _post(client, "/api/auth/register", "app@example.com", code)
    assert registered.status_code == 200
    login = await _post(client, "/api/auth/login", "app@example.com", code)
    assert login.status_code == 200, login.text
    assert login.json()["data"]["token"].startswith("Bearer ")
    assert login.json()["data"]["user"]["id"] == registered.json()["data"]["user"]["id"]
    again = await _post(client, "/api/auth/login", "app@example.com", code)
    assert again.status_code == 400 and again.json()["data"]["message"] == GONE


async def test_concurrent_logins_after_register_only_one_wins(client, mailer):
    code = await _code(client, mailer, "race@example.com")
    assert (await _post(client, "/api/auth/register", "race@example.com", code)).status_code == 200
    answers = await asyncio.gather(*(_post(client, "/api/auth/login", "race@example.com", code)
                                     for _ in range(5)))
    assert sorted(a.status_code for a in answers) == [200, 400, 400, 400, 400]


async def test_everything_else_about_codes_stays_single_use(client, mailer, clock):
    code = await _code(client, mailer, "once@example.com")
    assert (await _post(client, "/api/auth/login", "once@example.com", code)).status_code == 200
    # a login never opens a follow-up
    assert (await _post(client, "/api/auth/login", "once@example.com", code)).status_code == 400
    clock.advance(seconds=61)
    code = await _code(client, mailer, "once@example.com")
    assert (await _post(client, "/api/auth/register", "once@example.com", code)).status_code == 200
    for path in ("/api/auth/register", "/api/auth/verify-code"):  # only login spends it
        assert (await _post(client, path, "once@example.com", code)).status_code == 400
    assert (await _post(client, "/api/auth/login", "other@example.com", code)).status_code == 400
    assert (await _post(client, "/api/auth/login", "once@example.com", code)).status_code == 200


async def test_the_follow_up_login_expires_with_the_code_and_counts_wrong_guesses(
        client, mailer, clock, settings):
    code = await _code(client, mailer, "late@example.com")
    assert (await _post(client, "/api/auth/register", "late@example.com", code)).status_code == 200
    clock.advance(seconds=settings.CODE_TTL_SECONDS + 1)
    assert (await _post(client, "/api/auth/login", "late@example.com", code)).status_code == 400

    clock.advance(seconds=61)
    code = await _code(client, mailer, "guess@example.com")
    assert (await _post(client, "/api/auth/register", "guess@example.com", code)).status_code == 200
    wrong = str((int(code) + 1) % 10 ** len(code)).zfill(len(code))
    answers = [await _post(client, "/api/auth/login", "guess@example.com", wrong)
               for _ in range(settings.CODE_MAX_ATTEMPTS)]
    assert all(a.status_code == 400 for a in answers)
    assert answers[0].json()["data"]["message"] == "Wrong code"
    burned = await _post(client, "/api/auth/login", "guess@example.com", code)
    assert burned.status_code == 400 and burned.json()["data"]["message"] == GONE


async def test_public_profile_card_has_no_email(client, sign_in):
    ada = (await sign_in("ada.lovelace@example.com")).json()["data"]["user"]
    card = await client.get(f"/api/users/{ada['id']}", headers=as_user("someone-else"))
    assert card.status_code == 200
    user = card.json()["data"]["user"]
    assert set(user) == {"id", "name", "nickName", "avatar", "createdAt", "stats"}
    assert user["id"] == ada["id"] and "lovelace" not in str(user) and "@" not in str(user)
    assert set(user["stats"]) == {"publicModels", "totalLikes", "totalFavorites", "totalViews",
                                  "totalDownloads"}
    missing = await client.get("/api/users/nobody", headers=as_user("someone-else"))
    assert missing.status_code == 404 and missing.json()["status"] == "fail"
    assert (await client.get(f"/api/users/{ada['id']}")).status_code == 401
    assert (await client.get("/api/users/bad%20id", headers=as_user("x"))).status_code == 400
