"""The merged OpenAPI document of every service's public (`/api/...`) operations."""

import asyncio
from typing import Any

import structlog

from lumi_shared.errors import AppError

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


GATEWAY_PATHS: dict[str, Any] = {
    "/api/tasks/{task_id}/events": {"get": {
        "tags": ["tasks"], "summary": "Live task progress (Server-Sent Events)",
        "description": "Owner only. Events: task:init (the full task) first, then image:generating, "
                       "image:completed, image:failed, task:updated, model:generating, "
                       "model:progress, model:completed, model:failed, print:submitted, "
                       "print:status, print:slice, task:deleted; `:keep-alive` comments as "
                       "heartbeat.",
        "parameters": [{"name": "task_id", "in": "path", "required": True,
                        "schema": {"type": "string"}}],
        "responses": {
            "200": {"description": "An event stream",
                    "content": {"text/event-stream": {"schema": {"type": "string"}}}},
            "401": {"description": "Not logged in"},
            "404": {"description": "No such task for this user"},
            "503": {"description": "Too many live connections on this gateway"}}}},
}


def merge(documents: dict[str, dict[str, Any]]) -> dict[str, Any]:
    paths: dict[str, Any] = dict(GATEWAY_PATHS)
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


async def collect(upstreams: Any, timeout: float = 3.0) -> dict[str, Any]:
    async def one(name: str) -> tuple[str, dict | None]:
        try:
            status, body = await upstreams.get_json(name, "/openapi.json", timeout=timeout)
        except AppError as exc:
            status, body = exc.status, None
        if status != 200 or not isinstance(body, dict):
            log.warning("openapi_unavailable", upstream=name, status_code=status)
            return name, None
        return name, body

    results = await asyncio.gather(*(one(n) for n in upstreams.urls))
    return merge({name: doc for name, doc in results if doc})
