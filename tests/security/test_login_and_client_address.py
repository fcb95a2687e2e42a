"""Issue 13, items 3, 4 and 5 through the gateway: login throttling and login CSRF, signed
client addresses, no X-Forwarded-For from untrusted peers, per-installation secrets."""

import json
import re
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from lumi_embedded.harness import FAST
from lumi_embedded.system import running_system
from lumi_shared.identity import Identity, sign_identity
from lumi_shared.settings import DEV_SECRET

from .conftest import service_url

pytestmark = pytest.mark.e2e


def _codes(data_dir, email: str) -> list[str]:
    outbox = data_dir / "mail" / "outbox.jsonl"
    lines = outbox.read_text().splitlines() if outbox.exists() else []
    return [re.search(r"\b(\d{6})\b", m["body"]).group(1)
            for m in map(json.loads, lines) if m["to"] == email]


async def _sent(client, data_dir, email: str, count: int) -> str:
    from lumi_shared.testing import wait_for

    return (await wait_for(lambda: len(_codes(data_dir, email)) >= count and _codes(
        data_dir, email), 10))[-1]


async def test_wrong_codes_are_limited_per_client_address_across_e_mail_addresses(system, client):
    statuses = []
    for n in range(6):
        email = f"victim{n}@example.com"
        assert (await client.post("/api/auth/send-code", json={"email": email})).status_code == 200
        code = await _sent(client, system.data_dir, email, 1)
        wrong = str((int(code) + 1) % 10**6).zfill(6)
        for _ in range(5):
            answer = await client.post("/api/auth/login", json={"email": email, "code": wrong})
            statuses.append(answer.status_code)
    assert statuses.count(429) >= 10, statuses  # 20 wrong codes per address and hour
    assert set(statuses[:20]) == {400}


async def test_code_requests_are_limited_by_a_sliding_window_across_the_hour(system, client):
    now = [datetime(2026, 1, 1, 12, 56, tzinfo=UTC)]
    system.apps["auth"].state.auth.clock = lambda: now[0]
    statuses = []
    for _ in range(6):  # 12:56 ... 13:01, one a minute (past the resend cooldown)
        response = await client.post("/api/auth/send-code", json={"email": "burst@example.com"})
        statuses.append(response.status_code)
        now[0] += timedelta(seconds=61)
    assert statuses == [200] * 5 + [429], statuses


async def test_sign_in_from_a_foreign_origin_is_refused(system, client):
    email = "csrf@example.com"
    await client.post("/api/auth/send-code", json={"email": email})
    code = await _sent(client, system.data_dir, email, 1)
    for path in ("/api/auth/login", "/api/auth/verify-code", "/api/auth/register"):
        refused = await client.post(path, json={"email": email, "code": code},
                                    headers={"origin": "https://evil.example"})
        assert refused.status_code == 403 and "set-cookie" not in refused.headers, path
    allowed = await client.post("/api/auth/login", json={"email": email, "code": code},
                                headers={"origin": "http://localhost:3000"})
    assert allowed.status_code == 200


async def test_x_forwarded_for_from_an_untrusted_peer_does_not_pick_the_client_address(client):
    statuses = []
    for n in range(21):  # 20 code requests per client address and hour
        response = await client.post("/api/auth/send-code", json={"email": f"x{n}@example.com"},
                                     headers={"x-forwarded-for": f"198.51.100.{n}"})
        statuses.append(response.status_code)
    assert statuses == [200] * 20 + [429], statuses


async def test_a_service_port_ignores_an_unsigned_client_address(system):
    async with httpx.AsyncClient(base_url=service_url(system, "auth"), timeout=10) as auth:
        statuses = []
        for n in range(21):
            response = await auth.post("/api/auth/send-code", json={"email": f"d{n}@example.com"},
                                       headers={"x-lumi-client-ip": f"203.0.113.{n}"})
            statuses.append(response.status_code)
    assert statuses == [200] * 20 + [429], statuses


async def test_outside_embedded_and_test_the_identity_secret_is_per_installation(tmp_path):
    dev = {name: {**FAST.get(name, {}), "LUMI_ENV": "dev", "ALLOW_IN_PROCESS_STORE": True}
           for name in ("gateway", "auth", "generation", "modeling", "printing", "gallery")}
    async with running_system(tmp_path, overrides=dev) as system:
        assert (tmp_path / "installation.key").stat().st_mode & 0o077 == 0
        from auth.providers.mail.dev import JsonlMailer  # dev logs codes; read them from a file

        system.apps["auth"].state.auth.mail.mailer = JsonlMailer(tmp_path / "mail" / "outbox.jsonl")
        forged = {"x-lumi-identity": sign_identity(Identity("victim"), DEV_SECRET)}
        async with httpx.AsyncClient(base_url=service_url(system, "generation")) as direct:
            assert (await direct.get("/api/tasks", headers=forged)).status_code == 401
        async with httpx.AsyncClient(base_url=system.url, timeout=10) as client:
            email = "dev@example.com"
            await client.post("/api/auth/send-code", json={"email": email})
            code = await _sent(client, tmp_path, email, 1)
            token = (await client.post("/api/auth/login", json={"email": email, "code": code})
                     ).json()["data"]["token"]
            client.cookies.clear()
            tasks = await client.get("/api/tasks", headers={"authorization": token})
            assert tasks.status_code == 200
