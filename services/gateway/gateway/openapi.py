"""The merged OpenAPI document of every service's public (`/api/...`) operations."""

import asyncio
from typing import Any

import httpx
import structlog

log = structlog.get_logger("lumi.gateway.openapi")


def _rename_refs(node: Any, prefix: str) -> Any:
    if isinstance(node, dict):
        out = {}
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str) and value.startswith("#/components/schemas/"):
                out[key] = f"#/components/schemas/{prefix}{value.rsplit('/', 1)[1]}"
            else:
                out[key] = _rename_refs(value, prefix)
        return out
    if isinstance(node, list):
        return [_rename_refs(v, prefix) for v in node]
    return node


def merge(documents: dict[str, dict[str, Any]]) -> dict[str, Any]:
    paths: dict[str, Any] = {}
    schemas: dict[str, Any] = {}
    for service, doc in sorted(documents.items()):
        prefix = f"{service}_"
        for path, item in doc.get("paths", {}).items():
            if path.startswith("/api/"):
                paths.setdefault(path, {}).update(_rename_refs(item, prefix))
        for name, schema in doc.get("components", {}).get("schemas", {}).items():
            schemas[prefix + name] = _rename_refs(schema, prefix)
    return {
        "openapi": "3.1.0",
        "info": {"title": "Lumi API", "version": "1.0.0",
                 "description": "Public API of the Lumi backend, served by the gateway."},
        "components": {
            "schemas": schemas,
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer"},
                "cookie": {"type": "apiKey", "in": "cookie", "name": "lumi_session"},
            },
        },
        "security": [{"bearer": []}, {"cookie": []}, {}],
        "paths": dict(sorted(paths.items())),
    }


async def collect(clients: dict[str, httpx.AsyncClient], timeout: float = 3.0) -> dict[str, Any]:
    async def one(name: str, client: httpx.AsyncClient) -> tuple[str, dict | None]:
        try:
            response = await client.get("/openapi.json", timeout=timeout)
            response.raise_for_status()
            return name, response.json()
        except (httpx.HTTPError, ValueError) as exc:
            log.warning("openapi_unavailable", upstream=name, error=type(exc).__name__)
            return name, None

    results = await asyncio.gather(*(one(n, c) for n, c in clients.items()))
    return merge({name: doc for name, doc in results if doc})
