"""Composition root of the gateway: the only public service. It authenticates, applies CORS,
CSRF and body limits, forwards `/api/...` by the route table, serves live progress (SSE),
stored files, the merged OpenAPI, and readiness of the whole system."""

import ipaddress
import mimetypes
import re
from pathlib import Path
from typing import Any

import yaml
from fastapi import APIRouter, FastAPI, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse, Response
from starlette.staticfiles import StaticFiles

from lumi_shared.contracts import Event, SessionRevoked
from lumi_shared.errors import (
    Forbidden,
    NotFound,
    ServiceUnavailable,
    Unauthorized,
)
from lumi_shared.identity import IDENTITY_HEADER, client_ip_headers, sign_identity
from lumi_shared.internal import InternalClient
from lumi_shared.service import build_infra, create_service_app, serve, setup_logging

from . import openapi
from .config import Settings
from .cors import EdgeMiddleware, OriginPolicy
from .limits import HeaderLimitMiddleware
from .proxy import Upstreams, forward
from .routes import ROUTES, Access, RouteTable
from .sessions import Caller, CredentialSource, SessionResolver
from .sse import SseHub

SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}
# They set the session cookie: from a foreign browser origin they would be login CSRF.
SIGN_IN_PATHS = {"/api/auth/login", "/api/auth/verify-code", "/api/auth/register"}
_BAD_PATH = re.compile(r"//|/\.\.?(/|$)")
_TASK_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")

for _ext, _type in ((".glb", "model/gltf-binary"), (".gltf", "model/gltf+json"),
                    (".obj", "model/obj"), (".mtl", "model/mtl"), (".stl", "model/stl")):
    mimetypes.add_type(_type, _ext)


class Gateway:
    """Everything a request handler needs, built once per app."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.table = RouteTable(ROUTES)
        self.policy = OriginPolicy(settings.CORS_ORIGINS, settings.allow_localhost)
        self.upstreams = Upstreams(settings.service_urls(),
                                   connect_timeout=settings.UPSTREAM_CONNECT_TIMEOUT,
                                   timeout=settings.UPSTREAM_TIMEOUT,
                                   max_connections=settings.UPSTREAM_MAX_CONNECTIONS)
        self.resolver = SessionResolver(
            InternalClient(settings.AUTH_URL, caller="gateway", secret=settings.IDENTITY_SECRET,
                           max_connections=settings.UPSTREAM_MAX_CONNECTIONS),
            ttl=settings.SESSION_CACHE_TTL, max_size=settings.SESSION_CACHE_SIZE)
        self.hub = SseHub(buffer=settings.SSE_CLIENT_BUFFER, max_clients=settings.SSE_MAX_CLIENTS)
        self.trusted_proxies = [ipaddress.ip_network(c, strict=False) for c in settings.TRUSTED_PROXIES]

    async def on_event(self, event: Event) -> None:
        if isinstance(event, SessionRevoked):
            self.resolver.evict(event.session_id)
        await self.hub.on_event(event)

    async def caller(self, request: Request, access: Access) -> Caller:
        if (request.url.path.rstrip("/") in SIGN_IN_PATHS and request.headers.get("origin")
                and not self._same_site(request)):
            raise Forbidden("Cross-site sign-in refused")
        caller = await self.resolver.caller(request, self.settings.SESSION_COOKIE_NAMES)
        if access is Access.LOGIN and caller.identity is None:
            if caller.unavailable:
                raise ServiceUnavailable("Authentication is temporarily unavailable")
            raise Unauthorized()
        # CSRF matters only when the ambient cookie really authenticates the request; a stale
        # cookie is ignored (anonymous), so it must not block e.g. a new login from the app.
        if (caller.source is CredentialSource.COOKIE and caller.identity is not None
                and request.method not in SAFE_METHODS and not self._same_site(request)):
            raise Forbidden("Cross-site request refused")
        return caller

    def _same_site(self, request: Request) -> bool:
        origin = request.headers.get("origin")
        if origin is None and (referer := request.headers.get("referer")):
            origin = "/".join(referer.split("/", 3)[:3])
        return self.policy.allowed(origin)

    def upstream_headers(self, request: Request, caller: Caller) -> dict[str, str]:
        client_ip = self.client_ip(request)
        headers = {
            "x-request-id": request.scope.get("state", {}).get("request_id", ""),
            **client_ip_headers(client_ip, self.settings.IDENTITY_SECRET),
            "x-forwarded-for": client_ip,
            "x-forwarded-proto": request.url.scheme,
            "x-forwarded-host": request.headers.get("host", ""),
        }
        if caller.identity:
            headers[IDENTITY_HEADER] = sign_identity(caller.identity, self.settings.IDENTITY_SECRET,
                                                     self.settings.IDENTITY_TTL)
        elif caller.invalid:
            headers["x-lumi-auth"] = "invalid"
        return headers

    def client_ip(self, request: Request) -> str:
        peer = request.client.host if request.client else ""
        if not self.trusted_proxies or not _in(peer, self.trusted_proxies):
            return peer
        hops = [h.strip() for h in request.headers.get("x-forwarded-for", "").split(",") if h.strip()]
        for hop in reversed(hops):
            if not _in(hop, self.trusted_proxies):
                return hop
        return hops[0] if hops else peer

    async def service_ready(self, name: str) -> bool:
        status, _ = await self.upstreams.get_json(name, "/readyz", timeout=2.0)
        return status == 200


def _in(address: str, networks: list[ipaddress.IPv4Network | ipaddress.IPv6Network]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in networks)


def _router(gw: Gateway) -> APIRouter:
    router = APIRouter()

    @router.get("/openapi.json", include_in_schema=False)
    async def openapi_json() -> JSONResponse:
        return JSONResponse(await openapi.collect(gw.upstreams))

    @router.get("/api/openapi", include_in_schema=False)
    async def openapi_yaml() -> Response:
        document = await openapi.collect(gw.upstreams)
        return Response(yaml.safe_dump(document, sort_keys=False, allow_unicode=True),
                        media_type="application/x-yaml",
                        headers={"Access-Control-Allow-Origin": "*", "Cache-Control": "no-cache"})

    @router.get("/docs", include_in_schema=False)
    async def docs() -> HTMLResponse:
        return get_swagger_ui_html(openapi_url="/openapi.json", title="Lumi API")

    @router.get("/api/tasks/{task_id}/events", include_in_schema=False)
    async def task_events(task_id: str, request: Request) -> Any:
        caller = await gw.caller(request, Access.LOGIN)
        identity = caller.identity
        if not _TASK_ID.match(task_id):
            raise NotFound("Task not found")
        # Register before the snapshot so no event between the two is missed.
        client = gw.hub.register(task_id, identity.user_id, identity.session_id)
        if client is None:
            raise ServiceUnavailable("Too many live connections, poll /status instead")
        try:
            status, body = await gw.upstreams.get_json(
                "generation", f"/api/tasks/{task_id}", headers=gw.upstream_headers(request, caller))
        except BaseException:
            gw.hub.unregister(client)
            raise
        if status != 200:
            gw.hub.unregister(client)
            return JSONResponse(body, status_code=status)
        return gw.hub.stream(client, body["data"], gw.settings.SSE_HEARTBEAT)

    @router.api_route("/api/{path:path}", include_in_schema=False,
                      methods=["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"])
    async def proxy(request: Request) -> Response:
        path = request.url.path
        route = None if _BAD_PATH.search(path) else gw.table.match(path, request.method)
        if route is None:
            raise NotFound(f"No route for {request.method} {path}")
        caller = await gw.caller(request, route.access)
        return await forward(request, gw.upstreams, route.service,
                             max_body=gw.settings.MAX_BODY_BYTES,
                             keep_credentials=route.service == "auth",
                             extra_headers=gw.upstream_headers(request, caller))

    return router


def create_app(settings: Settings | None = None, *, bus: Any = None) -> FastAPI:
    settings = settings or Settings()
    infra = build_infra(settings, bus=bus, database=False)
    gw = Gateway(settings)

    async def subscribe() -> None:
        infra.bus.subscribe_broadcast("gateway", gw.on_event)

    async def close() -> None:
        await gw.upstreams.aclose()
        await gw.resolver.auth.aclose()

    checks = {name: (lambda n=name: gw.service_ready(n)) for name in settings.service_urls()}
    app = create_service_app(infra=infra, title="Lumi gateway", routers=[_router(gw)],
                             startup=[subscribe], shutdown=[close], ready_checks=checks,
                             docs=False)
    app.state.gateway = gw
    if settings.STORAGE_BACKEND == "local":
        files = Path(settings.FILES_DIR or settings.LUMI_DATA_DIR / "files")
        files.mkdir(parents=True, exist_ok=True)
        app.mount("/files", StaticFiles(directory=files), name="files")
    app.add_middleware(EdgeMiddleware, policy=gw.policy, hsts=not settings.is_dev)
    app.add_middleware(HeaderLimitMiddleware, max_bytes=settings.MAX_HEADER_BYTES)
    return app


def run() -> None:
    settings = Settings()
    setup_logging(settings)
    serve(create_app(settings), settings)
