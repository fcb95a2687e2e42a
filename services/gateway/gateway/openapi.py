"""The merged OpenAPI document of every service's public (`/api/...`) operations."""

import asyncio
import copy
import re
from typing import Any

import structlog

from lumi_shared.errors import AppError
from lumi_shared.openapi import LOGGED_IN, RETRY_AFTER, SECURITY_SCHEMES, WHY, Error, Fail

from .routes import ROUTES, Access, Route, RouteTable

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


_FAIL = {"$ref": "#/components/schemas/Fail"}
_ERROR = {"$ref": "#/components/schemas/Error"}
UNSAFE = {"post", "put", "patch", "delete"}
HTTP_METHODS = UNSAFE | {"get", "head", "options", "trace"}


def _status(code: int) -> dict[str, Any]:
    body: dict[str, Any] = {"description": WHY[code],
                            "content": {"application/json": {"schema": _FAIL if code < 500 else _ERROR}}}
    if code == 429:
        body["headers"] = RETRY_AFTER
    return body


TASK_ID = {"name": "task_id", "in": "path", "required": True,
           "schema": {"type": "string", "pattern": "^[A-Za-z0-9_-]{1,64}$"}}
SSE_FRAMES = ("task:init (the full task) and status ({phase, status}) first, then image:generating, "
              "image:completed, image:failed, image:retrying, task:updated, status, "
              "model:generating, model:progress, model:completed, model:failed, "
              "print:submitted, print:status, print:slice, task:deleted; heartbeat "
              "({timestamp}, with a `:keep-alive` comment)")
SSE_EVENT = {
    "type": "object", "description": "One frame; `data` is JSON (the task for task:init)",
    "required": ["event", "data"],
    "properties": {"event": {"type": "string", "enum": [
                       "task:init", "status", "heartbeat", "image:generating", "image:completed",
                       "image:failed", "image:retrying", "task:updated", "model:generating",
                       "model:progress", "model:completed", "model:failed", "print:submitted",
                       "print:status", "print:slice", "task:deleted"]},
                   "data": {"type": "string", "contentMediaType": "application/json"},
                   "id": {"type": "string"}, "retry": {"type": "integer"}}}
GATEWAY_PATHS: dict[str, Any] = {
    "/api/tasks/{task_id}/events": {"get": {
        "tags": ["tasks"], "summary": "Live task progress (Server-Sent Events)",
        "operationId": "task_events",
        "description": "Owner only. `id:` + `event: <name>` + `data: <JSON>` frames: " + SSE_FRAMES
                       + ". The stream ends after task:deleted. Reconnecting with "
                         "`Last-Event-ID` replays the missed frames instead of task:init "
                         "while the gateway's history still holds them all.",
        "security": LOGGED_IN,
        "parameters": [TASK_ID, {
            "name": "Last-Event-ID", "in": "header", "required": False,
            "description": "The `id` of the last frame received (resume); any other value "
                           "is ignored (a fresh stream)",
            "schema": {"type": "string"}}],
        "responses": {
            "200": {"description": "An event stream (`text/event-stream`)",
                    "content": {"text/event-stream": {"schema": SSE_EVENT}}},
            "401": _status(401), "404": _status(404),
            "429": {**_status(429), "description": "Too many open event streams for this user"},
            "503": {"description": "Too many live connections on this gateway: poll "
                                   "/api/tasks/{task_id}/status instead",
                    "content": {"application/json": {"schema": _ERROR}}}}}},
    "/files/{key}": {"get": {
        "tags": ["files"], "summary": "A stored file (images, 3D models, G-code)",
        "operationId": "stored_file",
        "description": "The absolute URLs in task, model and gallery answers point here. A "
                       "private model's files live under a key that changes when its "
                       "visibility changes; `Access-Control-Allow-Origin: *`.",
        "security": [{}],
        "parameters": [{"name": "key", "in": "path", "required": True,
                        "description": "Storage key, e.g. images/<taskId>/0.png",
                        "schema": {"type": "string", "minLength": 1, "maxLength": 512}}],
        "responses": {
            "200": {"description": "The file", "content": {
                "application/octet-stream": {"schema": {"type": "string",
                                                        "contentMediaType": "application/octet-stream"}}}},
            "404": {"description": "No such file (or no longer at this key)"}}}},
}


def _route(table: RouteTable, path: str, method: str) -> Route | None:
    return table.match(re.sub(r"\{[^}]+\}", "x", path), method.upper())


def _gateway_answers(table: RouteTable, path: str, method: str, operation: dict[str, Any]) -> None:
    """What the gateway itself may answer before or instead of the service: 401 on login
    routes (and their security), 403 for cross-site cookie requests, 413 over the body
    limit, 404 for ids it cannot route, 431 for oversized headers, 502/503/504 upstream."""
    route = _route(table, path, method)
    responses = operation.setdefault("responses", {})
    added = [431, 502, 503, 504]
    if route is not None and route.access is Access.LOGIN:
        added.append(401)
        operation["security"] = LOGGED_IN
    if method in UNSAFE:
        added += [403, 413]
    if "{" in path:
        added.append(404)
    for code in added:
        responses.setdefault(str(code), _status(code))
    operation["responses"] = dict(sorted(responses.items()))


def merge(documents: dict[str, dict[str, Any]], table: RouteTable | None = None,
          own: dict[str, Any] | None = None) -> dict[str, Any]:
    """`documents`: each service's own document; `own`: the gateway's (the routes it serves
    itself, e.g. the asset proxy)."""
    table = table or RouteTable(ROUTES)
    paths: dict[str, Any] = {}
    schemas: dict[str, Any] = {
        "Fail": Fail.model_json_schema(ref_template="#/components/schemas/{model}"),
        "Error": Error.model_json_schema(ref_template="#/components/schemas/{model}")}
    schemas.update(schemas["Fail"].pop("$defs"))
    for service, doc in sorted(documents.items()):
        prefix = f"{service}_"
        for path, item in doc.get("paths", {}).items():
            if not path.startswith("/api/"):
                continue
            for method, operation in _rename_refs(item, prefix).items():
                if method in HTTP_METHODS and _route(table, path, method) is not None:
                    _gateway_answers(table, path, method, operation)
                    paths.setdefault(path, {})[method] = operation
        for name, schema in doc.get("components", {}).get("schemas", {}).items():
            schemas[prefix + name] = _rename_refs(schema, prefix)
    for path, item in _rename_refs((own or {}).get("paths", {}), "gateway_").items():
        if path.startswith("/api/"):
            for operation in item.values():
                operation.setdefault("responses", {}).setdefault("431", _status(431))
            paths[path] = item
    for name, schema in (own or {}).get("components", {}).get("schemas", {}).items():
        schemas["gateway_" + name] = _rename_refs(schema, "gateway_")
    paths.update(copy.deepcopy(GATEWAY_PATHS))
    return {
        "openapi": "3.1.0",
        "info": {"title": "Lumi API", "version": "1.0.0",
                 "description": "Public API of the Lumi backend, served by the gateway. Every "
                                "JSON answer is JSend: `{status: success, data}`, "
                                "`{status: fail, data: {message, code, details?}}` (4xx) or "
                                "`{status: error, message, code}` (5xx)."},
        "components": {
            "schemas": schemas,
            "securitySchemes": SECURITY_SCHEMES,
        },
        "security": [{"bearer": []}, {"cookie": []}, {}],
        "paths": dict(sorted(paths.items())),
    }


async def collect(upstreams: Any, timeout: float = 10.0,
                  own: dict[str, Any] | None = None) -> dict[str, Any]:
    # A service builds its document on the first call (CPU-bound, seconds on a loaded machine;
    # in the embedded mode all six share one event loop): 3 s left out whole services once.
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
    return merge({name: doc for name, doc in results if doc}, own=own)
