import time

import pytest
from fastapi import APIRouter
from pydantic import BaseModel
from pymongo.errors import AutoReconnect, ServerSelectionTimeoutError

from lumi_shared.docstore import InMemoryClient
from lumi_shared.errors import InvalidState, RateLimited
from lumi_shared.identity import (
    IDENTITY_HEADER,
    CurrentUser,
    Identity,
    InvalidIdentity,
    OptionalUser,
    sign_identity,
    verify_identity,
)
from lumi_shared.service import build_infra, create_service_app
from lumi_shared.settings import DEV_SECRET, BaseServiceSettings
from lumi_shared.testing import as_user, running

SECRET = "x" * 40


def test_identity_round_trips_and_rejects_forgery_and_expiry():
    token = sign_identity(Identity("u1", "admin", "s1"), SECRET)
    assert verify_identity(token, SECRET) == Identity("u1", "admin", "s1")
    payload, sig = token.split(".")
    with pytest.raises(InvalidIdentity):
        verify_identity(token, "y" * 40)
    with pytest.raises(InvalidIdentity):
        verify_identity(payload[:-2] + "AA." + sig, SECRET)
    with pytest.raises(InvalidIdentity):
        verify_identity(sign_identity(Identity("u1"), SECRET, ttl_seconds=-1), SECRET)
    with pytest.raises(InvalidIdentity):
        verify_identity("garbage", SECRET)


def test_prod_profile_refuses_placeholder_or_short_secrets():
    with pytest.raises(ValueError):
        BaseServiceSettings(LUMI_ENV="prod")
    with pytest.raises(ValueError):
        BaseServiceSettings(LUMI_ENV="prod", IDENTITY_SECRET="short")
    assert BaseServiceSettings(LUMI_ENV="prod", IDENTITY_SECRET="r" * 32).IDENTITY_SECRET


class Body(BaseModel):
    n: int


def sample_app():
    router = APIRouter()

    @router.get("/me")
    async def me(user: CurrentUser):
        return {"status": "success", "data": {"id": user.user_id}}

    @router.get("/maybe")
    async def maybe(user: OptionalUser):
        return {"status": "success", "data": {"id": user.user_id if user else None}}

    @router.post("/body")
    async def body(b: Body):
        return {"status": "success", "data": b.n}

    @router.get("/conflict")
    async def conflict():
        raise InvalidState("nope")

    @router.get("/limited")
    async def limited():
        raise RateLimited("slow down", retry_after=42)

    @router.get("/crash")
    async def crash():
        raise RuntimeError("secret internals")

    @router.get("/db-down")
    async def db_down():
        raise ServerSelectionTimeoutError("127.0.0.1:8618: [Errno 111] Connection refused")

    @router.get("/db-down-wrapped")
    async def db_down_wrapped():
        try:
            raise AutoReconnect("connection closed")
        except AutoReconnect as exc:
            raise RuntimeError("write failed") from exc

    settings = BaseServiceSettings(SERVICE_NAME="sample", LUMI_ENV="test")
    infra = build_infra(settings, mongo=InMemoryClient())
    return create_service_app(infra=infra, title="sample", routers=[router])


async def test_services_map_errors_to_jsend_and_never_leak_a_stack_trace():
    async with running(sample_app()) as client:
        assert (await client.get("/me")).json() == {
            "status": "fail", "data": {"message": "Please log in", "code": "UNAUTHORIZED"}}
        assert (await client.get("/me", headers=as_user("u9"))).json()["data"] == {"id": "u9"}
        forged = {IDENTITY_HEADER: sign_identity(Identity("u9"), "z" * 40)}
        assert (await client.get("/me", headers=forged)).status_code == 401
        assert (await client.get("/maybe")).json()["data"] == {"id": None}
        bad = await client.post("/body", content=b"{not json", headers={"content-type": "application/json"})
        assert bad.status_code == 400 and bad.json()["data"]["code"] == "VALIDATION_ERROR"
        wrong = await client.post("/body", json={"n": "many"})
        assert wrong.status_code == 400 and "n" in wrong.json()["data"]["message"]
        assert (await client.get("/conflict")).json()["data"]["code"] == "INVALID_STATE"
        limited = await client.get("/limited")
        assert limited.status_code == 429 and limited.headers["retry-after"] == "42"
        crash = await client.get("/crash")
        assert crash.status_code == 500
        assert crash.json() == {"status": "error", "message": "Internal server error",
                                "code": "INTERNAL_ERROR"}
        for path in ("/db-down", "/db-down-wrapped"):  # a database outage: retry, not a crash
            down = await client.get(path)
            assert down.status_code == 503 and down.headers["retry-after"] == "2"
            assert down.json()["code"] == "SERVICE_UNAVAILABLE"
            assert "8618" not in down.text
        missing = await client.get("/nope")
        assert missing.status_code == 404 and missing.json()["status"] == "fail"


async def test_request_id_is_echoed_or_created():
    async with running(sample_app()) as client:
        assert (await client.get("/healthz", headers={"x-request-id": "abc-1"})).headers[
            "x-request-id"] == "abc-1"
        generated = (await client.get("/healthz", headers={"x-request-id": "bad id\n"})).headers[
            "x-request-id"]
        assert generated != "bad id\n" and len(generated) == 32


async def test_readyz_is_503_when_a_dependency_is_down():
    app = sample_app()
    async with running(app) as client:
        assert (await client.get("/readyz")).status_code == 200
        await app.state.infra.bus.stop()
        response = await client.get("/readyz")
        assert response.status_code == 503
        assert response.json()["data"]["checks"]["broker"] is False


def test_dev_secret_is_only_the_embedded_and_test_default(tmp_path):
    # issue 13: the constant used to be the `dev` default too; `dev` now derives its own
    for env in ("embedded", "test"):
        assert BaseServiceSettings(LUMI_ENV=env, LUMI_DATA_DIR=tmp_path).IDENTITY_SECRET == DEV_SECRET
    assert BaseServiceSettings(LUMI_DATA_DIR=tmp_path).IDENTITY_SECRET != DEV_SECRET
    assert time.time() > 0


def test_bearer_token_strips_repeated_prefixes_and_refuses_other_schemes():
    from lumi_shared.identity import bearer_token

    assert bearer_token("Bearer abc") == "abc"
    assert bearer_token("bearer Bearer  abc ") == "abc"
    assert bearer_token("Basic abc") is None
    assert bearer_token("Bearer ") is None
    assert bearer_token(None) is None
