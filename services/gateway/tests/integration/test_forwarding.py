import asyncio
import hashlib

import httpx

from lumi_shared.contracts import SessionRevoked
from lumi_shared.testing import running, wait_for

BEARER = {"authorization": "Bearer good-token"}


async def test_unknown_api_route_is_a_jsend_404(gateway_factory):
    app, _ = gateway_factory()
    async with running(app) as client:
        response = await client.get("/api/does-not-exist")
        assert response.status_code == 404
        assert response.json()["status"] == "fail"
        assert response.json()["data"]["code"] == "NOT_FOUND"
        assert (await client.get("/api/tasks//x", headers=BEARER)).status_code == 404


async def test_routes_go_to_the_owning_service_most_specific_first(gateway_factory):
    app, _ = gateway_factory()
    async with running(app) as client:
        cases = {"/api/tasks": "generation", "/api/tasks/abc/status": "generation",
                 "/api/users/models": "modeling", "/api/users/favorites": "gallery",
                 "/api/gallery/models": "gallery", "/api/models/m1/visibility": "modeling",
                 "/api/printers": "printing"}
        for path, service in cases.items():
            data = (await client.get(path, headers=BEARER)).json()["data"]
            assert data["service"] == service, path
        data = (await client.get("/api/gallery/models?sortBy=latest&limit=5")).json()["data"]
        assert data["query"] == "sortBy=latest&limit=5"


async def test_protected_route_without_session_is_401_in_the_shape_the_frontend_expects(gateway_factory):
    app, _ = gateway_factory()
    async with running(app) as client:
        for headers in ({}, {"authorization": "Bearer wrong"}, {"cookie": "lumi_session=wrong"}):
            response = await client.get("/api/tasks", headers=headers)
            assert response.status_code == 401
            assert response.json() == {"status": "fail",
                                       "data": {"message": "Please log in", "code": "UNAUTHORIZED"}}


async def test_identity_is_signed_by_the_gateway_and_client_forgeries_are_dropped(gateway_factory):
    app, _ = gateway_factory()
    async with running(app) as client:
        forged = {"x-lumi-identity": "forged.value", "x-lumi-client-ip": "6.6.6.6", **BEARER}
        data = (await client.get("/api/tasks", headers=forged)).json()["data"]
        assert data["identity"] == "u1"
        assert data["headers"]["x-lumi-client-ip"] != "6.6.6.6"
        assert "authorization" not in data["headers"] and "cookie" not in data["headers"]
        anonymous = (await client.get("/api/gallery/models", headers={"x-lumi-identity": "x.y"})).json()
        assert anonymous["data"]["identity"] is None


async def test_verbatim_bearer_prefix_from_the_login_answer_is_accepted(gateway_factory):
    app, _ = gateway_factory()
    async with running(app) as client:
        response = await client.get("/api/tasks", headers={"authorization": "Bearer Bearer good-token"})
        assert response.json()["data"]["identity"] == "u1"


async def test_stale_token_on_an_optional_route_is_anonymous_and_flagged_for_auth(gateway_factory):
    app, _ = gateway_factory()
    async with running(app) as client:
        gallery = await client.get("/api/gallery/models", headers={"authorization": "Bearer stale"})
        assert gallery.status_code == 200 and gallery.json()["data"]["identity"] is None
        me = (await client.get("/api/auth/me", headers={"authorization": "Bearer stale"})).json()
        assert me["data"]["lumi_auth"] == "invalid"
        assert me["data"]["authorization"] == "Bearer stale"


async def test_request_id_and_traceparent_are_propagated_and_hop_by_hop_headers_stripped(gateway_factory):
    app, _ = gateway_factory()
    trace = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
    async with running(app) as client:
        response = await client.get("/api/tasks", headers={
            **BEARER, "x-request-id": "req-42", "traceparent": trace,
            "connection": "keep-alive, x-secret", "x-secret": "s", "te": "trailers",
            "proxy-authorization": "p"})
        seen = response.json()["data"]["headers"]
        assert seen["x-request-id"] == "req-42" and seen["traceparent"] == trace
        assert not {"te", "proxy-authorization", "x-secret"} & set(seen)
        assert response.headers["x-request-id"] == "req-42"


async def test_body_over_the_limit_is_413_with_and_without_content_length(gateway_factory):
    app, _ = gateway_factory()
    big = b"x" * (12 * 1024 * 1024)
    async with running(app) as client:
        response = await client.post("/api/tasks", content=big, headers=BEARER)
        assert response.status_code == 413
        assert response.json()["data"]["code"] == "PAYLOAD_TOO_LARGE"

        async def chunked():
            for _ in range(12):
                yield b"x" * (1024 * 1024)

        response = await client.post("/api/tasks", content=chunked(), headers=BEARER)
        assert response.status_code == 413
        ok = await client.post("/api/tasks", content=b"x" * 1024, headers=BEARER)
        assert ok.json()["data"]["body_size"] == 1024


async def test_upstream_down_is_502_and_hanging_upstream_is_504(gateway_factory, closed_url):
    async def never_answer(reader, writer):
        await reader.read(1 << 16)
        await asyncio.sleep(30)

    hanging = await asyncio.start_server(never_answer, "127.0.0.1", 0)
    port = hanging.sockets[0].getsockname()[1]
    app, _ = gateway_factory(GENERATION_URL=closed_url, MODELING_URL=f"http://127.0.0.1:{port}")
    async with hanging, running(app) as client:
        down = await client.get("/api/tasks", headers=BEARER)
        assert down.status_code == 502
        assert down.json() == {"status": "error", "message": "Upstream service unavailable",
                               "code": "UPSTREAM_ERROR"}
        hung = await client.get("/api/users/models", headers=BEARER)
        assert hung.status_code == 504 and hung.json()["code"] == "UPSTREAM_TIMEOUT"


async def test_auth_down_makes_protected_routes_503_not_401(gateway_factory, closed_url):
    app, _ = gateway_factory(AUTH_URL=closed_url)
    async with running(app) as client:
        response = await client.get("/api/tasks", headers=BEARER)
        assert response.status_code == 503
        assert (await client.get("/api/gallery/models", headers=BEARER)).status_code == 200


async def test_session_lookups_are_cached_and_evicted_by_session_revoked(gateway_factory, fake_auth):
    app, bus = gateway_factory()
    async with running(app) as client:
        for _ in range(5):
            assert (await client.get("/api/tasks", headers=BEARER)).status_code == 200
        assert fake_auth.lookups == 1
        del fake_auth.sessions["good-token"]
        await bus.publish(SessionRevoked(
            session_id=hashlib.sha256(b"good-token").hexdigest(), user_id="u1"))
        await bus.drain()
        await wait_for(lambda: fake_auth.lookups >= 1)
        assert (await client.get("/api/tasks", headers=BEARER)).status_code == 401


async def test_concurrent_requests_with_one_uncached_token_make_one_session_lookup(
        gateway_factory, fake_auth):
    app, _ = gateway_factory()
    async with running(app) as client:
        answers = await asyncio.gather(*(client.get("/api/tasks", headers=BEARER)
                                         for _ in range(20)))
        assert [a.status_code for a in answers] == [200] * 20
        assert fake_auth.lookups == 1


async def test_a_logout_through_this_gateway_forgets_the_session_before_any_event(
        gateway_factory, fake_auth):
    app, _ = gateway_factory()
    async with running(app) as client:
        assert (await client.get("/api/tasks", headers=BEARER)).status_code == 200  # cached
        del fake_auth.sessions["good-token"]  # what auth's logout does; no SessionRevoked yet
        assert (await client.post("/api/auth/logout", headers=BEARER)).status_code == 200
        assert (await client.get("/api/tasks", headers=BEARER)).status_code == 401


async def test_readyz_reports_every_service_and_is_503_when_one_is_down(gateway_factory,
                                                                        closed_url):
    app, _ = gateway_factory()
    async with running(app) as client:
        ready = await client.get("/readyz")
        assert ready.status_code == 200
        assert set(ready.json()["data"]["checks"]) == {
            "broker", "mongo", "auth", "generation", "modeling", "printing", "gallery"}
    app, _ = gateway_factory(GALLERY_URL=closed_url)
    async with running(app) as client:
        ready = await client.get("/readyz")
        assert ready.status_code == 503 and ready.json()["data"]["checks"]["gallery"] is False


async def test_merged_openapi_is_served_as_yaml_and_json_with_docs(gateway_factory):
    import yaml

    app, _ = gateway_factory()
    async with running(app) as client:
        response = await client.get("/api/openapi")
        assert response.headers["content-type"].startswith("application/x-yaml")
        document = yaml.safe_load(response.text)
        assert "/api/gallery/thing" in document["paths"] and "/internal/x" not in document["paths"]
        assert "text/event-stream" in str(document["paths"]["/api/tasks/{task_id}/events"])
        ref = document["paths"]["/api/gallery/thing"]["get"]["responses"]["200"]["content"][
            "application/json"]["schema"]["$ref"]
        assert ref == "#/components/schemas/gallery_Thing"
        assert "gallery_Thing" in document["components"]["schemas"]
        for own in ("/api/proxy/image", "/api/proxy/model", "/api/workers/status",
                    "/api/admin/dead-letters", "/api/admin/dead-letters/{queue}/replay"):
            assert own in document["paths"], own  # the gateway's own operations
        workers = document["paths"]["/api/workers/status"]["get"]["responses"]["200"]
        assert workers["content"]["application/json"]["schema"]["$ref"].startswith(
            "#/components/schemas/gateway_")
        assert "gateway_NxWorker" in document["components"]["schemas"]
        assert set(document["paths"]["/api/proxy/image"]["get"]["responses"]) >= {"400", "403", "502"}
        assert (await client.get("/openapi.json")).json()["paths"] == document["paths"]
        assert "swagger" in (await client.get("/docs")).text.lower()


async def test_stored_files_are_served_with_cors_and_model_content_types(gateway_factory, tmp_path):
    (tmp_path / "files" / "models" / "m1").mkdir(parents=True)
    (tmp_path / "files" / "models" / "m1" / "model.glb").write_bytes(b"glTF....")
    app, _ = gateway_factory()
    async with running(app) as client:
        response = await client.get("/files/models/m1/model.glb",
                                    headers={"origin": "https://viewer.example"})
        assert response.status_code == 200 and response.content == b"glTF...."
        assert response.headers["access-control-allow-origin"] == "*"
        assert response.headers["content-type"] == "model/gltf-binary"
        assert (await client.get("/files/../secret")).status_code == 404
        preflight = await client.options("/files/models/m1/model.glb", headers={
            "origin": "https://viewer.example", "access-control-request-method": "GET"})
        assert preflight.status_code == 204


async def test_a_cookie_set_for_one_caller_is_never_replayed_for_another(gateway_factory):
    app, _ = gateway_factory()
    async with running(app) as alice, httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://test") as bob:
        login = await alice.post("/api/auth/login", json={})
        assert "lumi_session=alice-token" in login.headers["set-cookie"]
        seen = (await bob.post("/api/auth/send-code", json={})).json()["data"]
        assert seen["cookie"] is None


async def test_client_address_comes_from_x_forwarded_for_only_behind_a_trusted_proxy(gateway_factory):
    spoof = {"x-forwarded-for": "6.6.6.6"}
    app, _ = gateway_factory()
    async with running(app) as client:
        seen = (await client.get("/api/gallery/models", headers=spoof)).json()["data"]["headers"]
        assert seen["x-lumi-client-ip"] == "127.0.0.1"
    app, _ = gateway_factory(TRUSTED_PROXIES="127.0.0.0/8,10.0.0.0/8")
    async with running(app) as client:
        chain = {"x-forwarded-for": "6.6.6.6, 203.0.113.7, 10.1.2.3"}
        seen = (await client.get("/api/gallery/models", headers=chain)).json()["data"]["headers"]
        assert seen["x-lumi-client-ip"] == "203.0.113.7"
        assert seen["x-forwarded-for"] == "203.0.113.7"


async def test_an_unexpected_error_on_the_hop_is_a_jsend_500_without_a_trace(gateway_factory,
                                                                              monkeypatch):
    app, _ = gateway_factory()

    async def broken(*_args, **_kwargs):
        raise RuntimeError("internal detail")

    async with running(app) as client:
        monkeypatch.setattr(app.state.gateway.identities, "caller", broken)
        response = await client.get("/api/gallery/models", headers={"x-request-id": "req-1"})
        assert response.status_code == 500
        assert response.json() == {"status": "error", "message": "Internal server error",
                                   "code": "INTERNAL_ERROR"}
        assert response.headers["x-request-id"] == "req-1"
        assert response.headers["x-frame-options"] == "DENY"  # the edge headers still apply
        # The gateway's own /api/ routes are answered by the gateway, never forwarded.
        assert (await client.get("/api/openapi")).status_code == 200


async def test_pooled_upstream_connections_go_idle_before_the_services_close_them():
    from gateway.proxy import Upstreams
    from lumi_shared.service import KEEP_ALIVE_SECONDS, uvicorn_options
    from lumi_shared.settings import BaseServiceSettings

    upstreams = Upstreams({}, connect_timeout=1, timeout=1, max_connections=10)
    idle = upstreams.session.connector._keepalive_timeout
    await upstreams.aclose()
    assert uvicorn_options(BaseServiceSettings())["timeout_keep_alive"] == KEEP_ALIVE_SECONDS
    assert 30 <= idle < KEEP_ALIVE_SECONDS  # reused across pauses; never one being closed
