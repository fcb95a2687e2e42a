"""Issue 13, items 2 and 6 through the gateway: no redirect leaks an internal address or
trusts Host; header size limit; one `date`; CSP and X-Frame-Options everywhere."""

import pytest

from lumi_embedded.harness import login

pytestmark = pytest.mark.e2e


async def test_trailing_slashes_are_answered_not_redirected_to_an_internal_address(system, client):
    me = await login(client, system.data_dir, "slash@example.com")
    for path, headers in (("/api/tasks/", me), ("/api/gallery/models/", {}),
                          ("/api/users/models/", me)):
        response = await client.get(path, headers=headers)
        assert response.status_code == 200, (path, response.status_code, response.headers)
        assert "location" not in response.headers


async def test_no_redirect_follows_the_host_header_off_site(client):
    for path in ("/docs/", "/files", "/api/openapi/", "/healthz/"):
        response = await client.get(path, headers={"host": "evil.example"})
        location = response.headers.get("location", "")
        assert "evil.example" not in location and "127.0.0.1" not in location, (path, location)
        assert not 300 <= response.status_code < 400, (path, response.status_code)


async def test_oversized_request_headers_are_refused_with_431(client):
    response = await client.get("/api/gallery/models", headers={"x-padding": "a" * 200_000})
    assert response.status_code == 431
    assert response.json()["data"]["code"] == "HEADERS_TOO_LARGE"
    assert (await client.get("/api/gallery/models", headers={"x-small": "a" * 2000})).status_code == 200


async def test_forwarded_answers_carry_one_date_header(client):
    response = await client.get("/api/gallery/models")
    assert response.status_code == 200
    assert len(response.headers.get_list("date")) == 1
    assert "server" not in response.headers


async def test_docs_files_and_non_api_404s_forbid_framing_and_scripts(client):
    for path in ("/docs", "/nothing-here", "/files/none.png", "/api/nothing"):
        response = await client.get(path)
        csp = response.headers.get("content-security-policy", "")
        assert "frame-ancestors 'none'" in csp and "base-uri 'none'" in csp, path
        assert response.headers.get("x-frame-options") == "DENY", path
    docs = await client.get("/docs")
    assert docs.status_code == 200 and "object-src 'none'" in docs.headers["content-security-policy"]


async def test_control_characters_in_prompts_and_names_are_refused(system, client):
    me = await login(client, system.data_dir, "ctrl@example.com")
    for prompt in ("a cat\x00", "bell \x07 cat", "esc \x1b[31m red"):
        response = await client.post("/api/tasks", json={"prompt": prompt}, headers=me)
        assert response.status_code == 400, prompt
    ok = await client.post("/api/tasks", json={"prompt": "two\nlines\tok"}, headers=me)
    assert ok.status_code == 201
    name = await client.patch("/api/models/any-model", json={"name": "evil\x1b[2J"}, headers=me)
    assert name.status_code == 400
    nick = await client.post("/api/users/update", json={"nick_name": "nul\x00"}, headers=me)
    assert nick.status_code == 400
