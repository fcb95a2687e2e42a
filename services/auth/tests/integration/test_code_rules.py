"""Code rules over HTTP: lifetime, single use, attempts, resend cooldown and hourly limits."""

from lumi_shared.testing import from_ip


def _wrong(code: str) -> str:
    return str((int(code) + 1) % 10**6).zfill(6)


EXPIRED = {"message": "Code expired or already used; request a new one", "code": "INVALID_CODE"}


async def sent_code(client, mailer, email: str) -> str:
    await client.post("/api/auth/send-code", json={"email": email})
    return await mailer.code_for(email)


async def log_in(client, email: str, code: str):
    return await client.post("/api/auth/login", json={"email": email, "code": code})


async def test_an_expired_code_is_refused(client, mailer, clock):
    code = await sent_code(client, mailer, "late@example.com")
    clock.advance(minutes=10, seconds=1)
    response = await log_in(client, "late@example.com", code)
    assert response.status_code == 400
    assert response.json()["data"] == EXPIRED


async def test_a_code_still_works_just_before_ten_minutes(client, mailer, clock):
    code = await sent_code(client, mailer, "intime@example.com")
    clock.advance(minutes=9, seconds=59)
    assert (await log_in(client, "intime@example.com", code)).status_code == 200


async def test_a_code_is_single_use(client, mailer):
    code = await sent_code(client, mailer, "once@example.com")
    assert (await log_in(client, "once@example.com", code)).status_code == 200
    again = await log_in(client, "once@example.com", code)
    assert again.status_code == 400 and again.json()["data"]["code"] == "INVALID_CODE"


async def test_a_burned_code_is_refused_even_when_right(client, mailer):
    code = await sent_code(client, mailer, "burn@example.com")
    wrong = _wrong(code)
    for _ in range(5):
        response = await log_in(client, "burn@example.com", wrong)
        assert response.json()["data"]["message"] == "Wrong code"
    response = await log_in(client, "burn@example.com", code)
    assert response.status_code == 400
    assert response.json()["data"] == EXPIRED


async def test_a_resend_within_60_seconds_is_rate_limited_with_retry_after(client, clock):
    body = {"email": "hasty@example.com"}
    assert (await client.post("/api/auth/send-code", json=body)).status_code == 200
    clock.advance(seconds=20)
    response = await client.post("/api/auth/send-code", json=body)
    assert response.status_code == 429
    assert response.headers["retry-after"] == "40"
    assert response.json() == {"status": "fail", "data": {
        "message": "Please wait before asking for another code", "code": "RATE_LIMITED"}}
    clock.advance(seconds=40)
    assert (await client.post("/api/auth/send-code", json=body)).status_code == 200


async def test_a_resend_replaces_the_previous_code(client, mailer, clock):
    body = {"email": "resend@example.com"}
    await client.post("/api/auth/send-code", json=body)
    old = await mailer.code_for("resend@example.com")
    clock.advance(seconds=61)
    await client.post("/api/auth/send-code", json=body)
    new = await mailer.code_for("resend@example.com", 2)
    if old != new:
        refused = await client.post("/api/auth/login", json={**body, "code": old})
        assert refused.status_code == 400
    assert (await client.post("/api/auth/login", json={**body, "code": new})).status_code == 200


async def test_codes_per_address_are_limited_per_hour(client, clock):
    body = {"email": "greedy@example.com"}
    for _ in range(5):
        assert (await client.post("/api/auth/send-code", json=body)).status_code == 200
        clock.advance(seconds=61)
    response = await client.post("/api/auth/send-code", json=body)
    assert response.status_code == 429
    assert response.json()["data"]["code"] == "RATE_LIMITED"
    assert 1 <= int(response.headers["retry-after"]) <= 3600


async def test_codes_per_client_ip_are_limited_per_hour(client):
    headers = from_ip("203.0.113.9")
    for index in range(20):
        response = await client.post("/api/auth/send-code", headers=headers,
                                     json={"email": f"ip{index}@example.com"})
        assert response.status_code == 200
    response = await client.post("/api/auth/send-code", headers=headers,
                                 json={"email": "ip-last@example.com"})
    assert response.status_code == 429 and "retry-after" in response.headers
    other = await client.post("/api/auth/send-code", headers=from_ip("198.51.100.1"),
                              json={"email": "ip-last@example.com"})
    assert other.status_code == 200


async def test_too_many_wrong_codes_in_a_day_block_verification(client, mailer, clock,
                                                                 settings):
    email = "guesser@example.com"
    for round_ in range(4):
        await client.post("/api/auth/send-code", json={"email": email},
                          headers=from_ip(f"10.1.0.{round_}"))
        code = await mailer.code_for(email, round_ + 1)
        wrong = _wrong(code)
        for _ in range(5):
            await client.post("/api/auth/login", json={"email": email, "code": wrong})
        clock.advance(minutes=15)
    await client.post("/api/auth/send-code", json={"email": email})
    code = await mailer.code_for(email, 5)
    response = await client.post("/api/auth/login", json={"email": email, "code": code})
    assert response.status_code == 429
    assert response.json()["data"]["code"] == "RATE_LIMITED"
    assert int(response.headers["retry-after"]) <= 86400
