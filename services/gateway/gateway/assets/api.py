"""`GET|OPTIONS /api/proxy/image?url=` and `/api/proxy/model?url=` (api-contract §1.7)."""

from typing import TYPE_CHECKING

from fastapi import APIRouter, Query, Response

from lumi_shared.openapi import errors

from .content import MODEL_TYPES
from .service import IMAGE_PATH, MODEL_PATH, Asset

if TYPE_CHECKING:
    from ..deps import Deps

# EdgeMiddleware adds nosniff and a CSP with `sandbox` on these paths.
CACHE = "public, max-age=31536000"
CORS = {"Access-Control-Allow-Origin": "*", "Access-Control-Allow-Methods": "GET, OPTIONS",
        "Access-Control-Allow-Headers": "Content-Type"}
URL = Query(description="The remote file: https, on this endpoint's allow-list",
            min_length=1, max_length=4096, json_schema_extra={"format": "uri", "pattern": "^https://[^/?#]+"})
ERRORS = errors(
    s400="No or a malformed `url`; a broken or oversized ZIP (VALIDATION_ERROR)",
    s403="URL refused: host not on the allow-list, not https on its default port, userinfo, "
         "or a private/reserved address (FORBIDDEN)",
    s502="The upstream failed, timed out, sent too much or the wrong kind of file "
         "(UPSTREAM_ERROR)")
BINARY = {"type": "string", "contentMediaType": "application/octet-stream"}


def _served(asset: Asset) -> Response:
    headers = {**CORS, "Cache-Control": CACHE}
    if asset.filename:
        headers["Content-Disposition"] = f'attachment; filename="{asset.filename}"'
    return Response(asset.body, media_type=asset.content_type, headers=headers)


def router(deps: "Deps") -> APIRouter:
    routes = APIRouter(tags=["proxy"])

    @routes.get(IMAGE_PATH, responses={200: {"description": "The image (PNG, JPEG, GIF or WebP)",
                                             "content": {f"image/{kind}": {"schema": BINARY} for kind
                                                         in ("png", "jpeg", "gif", "webp")}},
                                       **ERRORS},
                response_class=Response, summary="An allowed remote image, through the proxy")
    async def proxy_image(url: str = URL) -> Response:
        return _served(await deps.assets.image(url))

    @routes.get(MODEL_PATH, responses={
        200: {"description": "The model file (its type from the extension)", "content": {
            kind: {"schema": BINARY} for kind in sorted({*MODEL_TYPES.values(),
                                                         "application/octet-stream"})}}, **ERRORS},
        response_class=Response, summary="An allowed remote model file (a ZIP: its first model)")
    async def proxy_model(url: str = URL) -> Response:
        return _served(await deps.assets.model(url))

    @routes.options(IMAGE_PATH, include_in_schema=False)
    @routes.options(MODEL_PATH, include_in_schema=False)
    async def proxy_options() -> Response:
        return Response(status_code=200, headers=CORS)

    return routes
