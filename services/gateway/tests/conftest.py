import hashlib
import socket
from dataclasses import dataclass, field

import pytest
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import BaseModel
from sse_starlette.sse import AppStatus

from gateway.config import Settings
from gateway.main import create_app
from lumi_shared.identity import optional_user
from lumi_shared.testing import serve_apps


@dataclass
class FakeAuth:
    """Auth's internal session endpoint, backed by a dict token -> (user_id, role)."""

    sessions: dict[str, tuple[str, str]] = field(default_factory=dict)
    lookups: int = 0

    def app(self) -> FastAPI:
        app = FastAPI()

        @app.post("/internal/sessions/resolve")
        async def resolve(body: dict):
            self.lookups += 1
            token = body["token"]
            if token not in self.sessions:
                return JSONResponse({"status": "fail", "data": {"message": "x", "code": "NOT_FOUND"}},
                                    404)
            user_id, role = self.sessions[token]
            return {"status": "success", "data": {
                "user_id": user_id, "role": role,
                "session_id": hashlib.sha256(token.encode()).hexdigest(),
                "expires_at": "2099-01-01T00:00:00Z"}}

        @app.api_route("/api/auth/{rest:path}", methods=["GET", "POST"], include_in_schema=False)
        async def auth_echo(request: Request, rest: str):
            if rest == "login":
                response = JSONResponse({"status": "success", "data": {}})
                response.set_cookie("lumi_session", "alice-token", httponly=True)
                return response
            return {"status": "success", "data": {
                "cookie": request.headers.get("cookie"),
                "authorization": request.headers.get("authorization"),
                "lumi_auth": request.headers.get("x-lumi-auth")}}

        @app.get("/readyz")
        async def ready():
            return {"status": "success"}

        return app


class Item(BaseModel):
    name: str


def echo_app(name: str) -> FastAPI:
    """A stand-in service that shows what it received."""
    app = FastAPI(openapi_url=None)
    app.state.settings = Settings(LUMI_ENV="test")

    @app.api_route("/api/{rest:path}", methods=["GET", "POST", "PATCH", "DELETE", "PUT"])
    async def echo(request: Request, rest: str):
        body = await request.body()
        identity = None
        try:
            user = optional_user(request)
            identity = user.user_id if user else None
        except Exception:
            identity = "INVALID"
        return {"status": "success", "data": {
            "service": name, "path": request.url.path, "query": request.url.query,
            "method": request.method, "identity": identity, "body_size": len(body),
            "headers": dict(request.headers)}}

    @app.post("/api/strict/items")
    async def strict(item: Item):
        return {"status": "success", "data": item.name}

    @app.get("/api/slow/stream")
    async def stream():
        async def chunks():
            for i in range(3):
                yield f"chunk{i}\n".encode()
        return StreamingResponse(chunks(), media_type="text/plain")

    @app.get("/readyz")
    async def ready():
        return {"status": "success"}

    @app.get("/openapi.json")
    async def doc():
        return {"openapi": "3.1.0", "paths": {f"/api/{name}/thing": {"get": {
            "responses": {"200": {"content": {"application/json": {"schema": {
                "$ref": "#/components/schemas/Thing"}}}}}}}, "/internal/x": {}},
            "components": {"schemas": {"Thing": {"type": "object"}}}}

    return app


@pytest.fixture(autouse=True)
def sse_streams_may_run():
    """A stopped embedded system (an earlier test) tells every SSE stream of the process to
    end through sse_starlette's process-wide flag; these tests start with it cleared."""
    AppStatus.should_exit = False


@pytest.fixture
def fake_auth():
    return FakeAuth({"good-token": ("u1", "user"), "admin-token": ("a1", "admin")})


@pytest.fixture
def closed_url():
    """An address where nothing listens: connections are refused at once."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    return f"http://127.0.0.1:{port}"


@pytest.fixture
async def upstream_urls(fake_auth):
    """Real local servers standing in for the five services."""
    apps = {f"{name.upper()}_URL": echo_app(name)
            for name in ("generation", "modeling", "printing", "gallery")}
    async with serve_apps({**apps, "AUTH_URL": fake_auth.app()}) as urls:
        yield urls


@pytest.fixture
def gateway_factory(upstream_urls, tmp_path):
    def make(**overrides):
        settings = Settings(LUMI_ENV="test", LUMI_DATA_DIR=tmp_path, UPSTREAM_TIMEOUT=0.3,
                            **{**upstream_urls, **overrides})
        app = create_app(settings)
        return app, app.state.infra.bus

    return make
