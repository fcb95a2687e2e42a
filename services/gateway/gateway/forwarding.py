"""`/api/...`: the route table picks the service, the caller is checked, the request is
forwarded (proxy.forward: streamed, body-limited, credentials only to auth)."""

import re
from typing import TYPE_CHECKING

from fastapi import APIRouter, Request, Response

from lumi_shared.errors import NotFound

from .proxy import forward

if TYPE_CHECKING:
    from .main import Deps

_BAD_PATH = re.compile(r"//|/\.\.?(/|$)")
METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]


def router(deps: "Deps") -> APIRouter:
    routes = APIRouter()

    @routes.api_route("/api/{path:path}", include_in_schema=False, methods=METHODS)
    async def proxy(request: Request) -> Response:
        path = request.url.path
        route = None if _BAD_PATH.search(path) else deps.table.match(path, request.method)
        if route is None:
            raise NotFound(f"No route for {request.method} {path}")
        caller = await deps.identities.caller(request, route.access)
        return await forward(request, deps.upstreams, route.service,
                             max_body=deps.settings.MAX_BODY_BYTES,
                             keep_credentials=route.service == "auth",
                             extra_headers=deps.identities.upstream_headers(request, caller))

    return routes
