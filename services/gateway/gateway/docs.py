"""The merged OpenAPI document of every service (`/openapi.json`, `/api/openapi` as YAML)
and Swagger UI (`/docs`)."""

from typing import TYPE_CHECKING

import yaml
from fastapi import APIRouter, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse, Response

from lumi_shared.contracts import asyncapi

from . import openapi

if TYPE_CHECKING:
    from .deps import Deps


def router(deps: "Deps") -> APIRouter:
    routes = APIRouter()

    def own(request: Request) -> dict:
        """The gateway's own operations (its app's document: lumi_shared.openapi.install)."""
        return request.app.openapi()

    @routes.get("/openapi.json", include_in_schema=False)
    async def openapi_json(request: Request) -> JSONResponse:
        return JSONResponse(await openapi.collect(deps.upstreams, own=own(request)))

    @routes.get("/api/openapi", include_in_schema=False)
    async def openapi_yaml(request: Request) -> Response:
        document = await openapi.collect(deps.upstreams, own=own(request))
        return Response(yaml.safe_dump(document, sort_keys=False, allow_unicode=True),
                        media_type="application/x-yaml",
                        headers={"Access-Control-Allow-Origin": "*", "Cache-Control": "no-cache"})

    @routes.get("/api/asyncapi", include_in_schema=False)
    async def asyncapi_json() -> JSONResponse:
        """Every event contract as an AsyncAPI 3 document (generated from the contracts)."""
        return JSONResponse(asyncapi.document(), headers={
            "Access-Control-Allow-Origin": "*", "Cache-Control": "no-cache"})

    @routes.get("/docs", include_in_schema=False)
    async def docs() -> HTMLResponse:
        return get_swagger_ui_html(openapi_url="/openapi.json", title="Lumi API")

    return routes
