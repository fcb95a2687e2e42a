from lumi_shared.testing import running


def preflight(origin):
    return {"origin": origin, "access-control-request-method": "POST",
            "access-control-request-headers": "authorization, content-type"}


async def test_preflight_allows_listed_origins_with_credentials(gateway_factory):
    app, _ = gateway_factory(CORS_ORIGINS="https://app.lumi.example", CORS_ALLOW_LOCALHOST=False)
    async with running(app) as client:
        response = await client.options("/api/tasks/t1", headers=preflight("https://app.lumi.example"))
        assert response.status_code == 204
        headers = response.headers
        assert headers["access-control-allow-origin"] == "https://app.lumi.example"
        assert headers["access-control-allow-credentials"] == "true"
        assert {"authorization", "content-type"} <= {
            h.strip() for h in headers["access-control-allow-headers"].split(",")}
        assert {"GET", "POST", "PATCH", "DELETE"} <= {
            m.strip() for m in headers["access-control-allow-methods"].split(",")}


async def test_unlisted_origins_are_never_reflected(gateway_factory):
    app, _ = gateway_factory(CORS_ORIGINS="https://app.lumi.example", CORS_ALLOW_LOCALHOST=False)
    async with running(app) as client:
        response = await client.options("/api/tasks", headers=preflight("https://evil.example"))
        assert response.status_code == 403
        assert "access-control-allow-origin" not in response.headers
        simple = await client.get("/api/gallery/models", headers={"origin": "https://evil.example"})
        assert "access-control-allow-origin" not in simple.headers
        local = await client.options("/api/tasks", headers=preflight("http://localhost:3000"))
        assert local.status_code == 403


async def test_dev_profile_allows_localhost_on_any_port(gateway_factory):
    app, _ = gateway_factory()
    async with running(app) as client:
        for origin in ("http://localhost:3000", "http://127.0.0.1:5173", "http://localhost"):
            response = await client.options("/api/auth/login", headers=preflight(origin))
            assert response.headers["access-control-allow-origin"] == origin
        response = await client.options("/api/auth/login", headers=preflight("http://localhost.evil.com"))
        assert response.status_code == 403


async def test_cookie_authenticated_unsafe_request_needs_an_allowed_origin(gateway_factory):
    app, _ = gateway_factory(CORS_ORIGINS="https://app.lumi.example")
    cookie = {"cookie": "lumi_session=good-token"}
    async with running(app) as client:
        refused = await client.post("/api/tasks", json={}, headers=cookie)
        assert refused.status_code == 403 and refused.json()["data"]["code"] == "FORBIDDEN"
        evil = await client.post("/api/tasks", json={}, headers={**cookie, "origin": "https://evil.example"})
        assert evil.status_code == 403
        allowed = await client.post("/api/tasks", json={},
                                    headers={**cookie, "origin": "https://app.lumi.example"})
        assert allowed.status_code == 200 and allowed.json()["data"]["identity"] == "u1"
        reading = await client.get("/api/tasks", headers=cookie)
        assert reading.status_code == 200
        stale = await client.post("/api/auth/send-code", json={},
                                  headers={"cookie": "lumi_session=expired"})
        assert stale.status_code == 200 and stale.json()["data"]["cookie"] == "lumi_session=expired"
        header_auth = await client.post("/api/tasks", json={},
                                        headers={"authorization": "Bearer good-token"})
        assert header_auth.status_code == 200


async def test_api_responses_carry_security_headers(gateway_factory):
    app, _ = gateway_factory()
    async with running(app) as client:
        response = await client.get("/api/gallery/models")
        assert response.headers["x-content-type-options"] == "nosniff"
        assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
        assert "server" not in response.headers
