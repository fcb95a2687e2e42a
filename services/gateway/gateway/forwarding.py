"""`/api/...`: the route table picks the service, the caller is checked, the request is
forwarded (proxy.forward: streamed, body-limited, credentials only to auth).

The hop is a pure ASGI layer in front of FastAPI's router: a forwarded request never pays for
FastAPI's route matching, dependency solving and exception-middleware stack (measured: they
were a third of the gateway's CPU per forwarded request). Paths the gateway answers itself
(SSE, docs, health, the media proxy...) are FastAPI routes and pass through untouched."""

import re

import structlog
from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute
from starlette.types import ASGIApp, Receive, Scope, Send

from lumi_shared.errors import AppError, NotFound
from lumi_shared.http import RequestIdMiddleware, app_error_response, unexpected_error_response

from .proxy import Buffered, forward

log = structlog.get_logger("lumi.gateway.forwarding")

_BAD_PATH = re.compile(r"//|/\.\.?(/|$)")
LOGOUT = "/api/auth/logout"


class Forwarding:
    """ASGI middleware: `/api/` requests that no FastAPI route of the gateway claims are
    forwarded here; everything else goes on to `app`."""

    def __init__(self, app: ASGIApp, deps, own_routes: list[APIRouter]) -> None:
        self.app, self.deps = app, deps
        # One regex of the gateway's own `/api/` paths, built from its routers.
        own = [route.path_regex.pattern for router in own_routes for route in router.routes
               if isinstance(route, BaseRoute) and getattr(route, "path", "").startswith("/api/")]
        self._own = re.compile("|".join(f"(?:{p})" for p in own) or r"(?!)")
        self._forward_with_id = RequestIdMiddleware(self._forward)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (scope["type"] == "http" and scope["path"].startswith("/api/")
                and not self._own.match(scope["path"])):
            await self._forward_with_id(scope, receive, send)
            return
        await self.app(scope, receive, send)

    async def _forward(self, scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope, receive)
        try:
            response = await self.handle(request)
        except AppError as exc:
            response = app_error_response(exc)
        except Exception as exc:  # noqa: BLE001 - answered as JSend 500, logged with its trace
            response = unexpected_error_response(exc)
        await response(scope, receive, send)

    async def handle(self, request: Request) -> "Response | Buffered":
        deps, path = self.deps, request.scope["path"]
        route = None if _BAD_PATH.search(path) else deps.table.match(path, request.method)
        if route is None:
            raise NotFound(f"No route for {request.method} {path}")
        caller = await deps.identities.caller(request, route.access)
        response = await forward(request, deps.upstreams, route.service,
                                 max_body=deps.settings.MAX_BODY_BYTES,
                                 keep_credentials=route.service == "auth",
                                 extra_headers=deps.identities.upstream_headers(request, caller))
        if (path.rstrip("/") == LOGOUT and response.status_code < 300 and caller.identity
                and caller.identity.session_id):
            # This replica forgets the session at once; the others on SessionRevoked.
            deps.resolver.evict(caller.identity.session_id)
        return response
