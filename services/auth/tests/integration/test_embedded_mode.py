"""Embedded mode: codes land in $LUMI_DATA_DIR/mail/outbox.jsonl and the cookie is not Secure."""

import json

from auth.main import create_app
from lumi_shared.docstore import InMemoryClient
from lumi_shared.testing import running, wait_for


async def test_an_embedded_user_can_log_in_with_the_code_from_the_outbox_file(
        settings_factory, tmp_path, clock, stats):
    settings = settings_factory(LUMI_ENV="embedded", LUMI_DATA_DIR=tmp_path)
    outbox = tmp_path / "mail" / "outbox.jsonl"
    app = create_app(settings, mongo=InMemoryClient(), clock=clock, stats=stats)
    async with running(app) as client:
        await client.post("/api/auth/send-code", json={"email": "local@example.com"})
        await wait_for(outbox.exists)
        record = json.loads(outbox.read_text().splitlines()[-1])
        assert record["to"] == "local@example.com" and record["subject"]
        code = next(word for word in record["body"].split() if word.isdigit())
        response = await client.post("/api/auth/login",
                                     json={"email": "local@example.com", "code": code})
    assert response.status_code == 200
    cookie = response.headers["set-cookie"]
    assert cookie.startswith("lumi_session=") and "Secure" not in cookie
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie
