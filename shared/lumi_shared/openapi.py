"""The typed public contract: JSend envelopes as pydantic models, the error responses a route
really answers, and the service documents' clean-up (validation answers 400, never 422).

A route declares `response_model=JSend[View]` and `responses=errors(404, 409)`, and answers
with `lumi_shared.responses.ok_json(...)` (pydantic-core straight to bytes: the model only
documents the shape; the fuzz run checks that the wire matches it).
"""

import copy
from typing import Any, Generic, Literal, TypeVar

from fastapi import FastAPI, routing
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute
from pydantic import BaseModel, ConfigDict, Field

T = TypeVar("T")


class JSend(BaseModel, Generic[T]):
    """`{"status": "success", "data": ...}`."""

    status: Literal["success"]
    data: T


class FailData(BaseModel):
    message: str
    code: str = Field(description="Machine code, e.g. VALIDATION_ERROR, NOT_FOUND, RATE_LIMITED")
    details: Any = Field(None, description="Validation errors (`[{field, message}]`) or other facts")


class Fail(BaseModel):
    """A 4xx answer: `{"status": "fail", "data": {message, code, details?}}`."""

    status: Literal["fail"]
    data: FailData


class Error(BaseModel):
    """A 5xx answer: `{"status": "error", "message", "code"}`."""

    model_config = ConfigDict(extra="allow")
    status: Literal["error"]
    message: str
    code: str


class Message(BaseModel):
    message: str


WHY = {
    400: "Invalid request: a parameter or the body breaks the documented constraints "
         "(code VALIDATION_ERROR, `details` lists the fields)",
    401: "Not logged in, or the session expired (code UNAUTHORIZED)",
    402: "Not enough credits (code INSUFFICIENT_CREDITS)",
    403: "Forbidden: not allowed for this caller, or a cross-site request with the session "
         "cookie (code FORBIDDEN)",
    404: "No such resource for this caller (another user's private resource looks missing too)",
    409: "Conflicts with the resource's current state (code INVALID_STATE or CONFLICT)",
    413: "Request body too large (code PAYLOAD_TOO_LARGE)",
    415: "Unsupported content type",
    429: "Too many requests (code RATE_LIMITED); `Retry-After` gives the seconds to wait",
    431: "Request headers too large (code HEADERS_TOO_LARGE)",
    502: "An upstream service or provider failed (code UPSTREAM_ERROR)",
    503: "Temporarily unavailable (code SERVICE_UNAVAILABLE)",
    504: "An upstream service timed out (code UPSTREAM_TIMEOUT)",
}
PAGE_HEADERS = {
    "X-Total-Count": {"description": "Items in the whole list", "schema": {"type": "integer"}},
    "X-Has-More": {"description": "Whether a later page has items",
                   "schema": {"type": "string", "enum": ["true", "false"]}}}
RETRY_AFTER = {"Retry-After": {"description": "Seconds to wait before trying again",
                               "schema": {"type": "integer", "minimum": 1}}}


def error_response(status: int, description: str | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"model": Fail if status < 500 else Error,
                           "description": description or WHY.get(status, "Request failed")}
    if status == 429:
        out["headers"] = RETRY_AFTER
    return out


def errors(*statuses: int, **described: str) -> dict[int | str, dict[str, Any]]:
    """`responses=` of a route: `errors(404, 409)` or with a reason `errors(s409="...")`."""
    out: dict[int | str, dict[str, Any]] = {s: error_response(s) for s in statuses}
    for key, text in described.items():
        status = int(key.lstrip("s"))
        out[status] = error_response(status, text)
    return out


def _fail_ref(document: dict[str, Any], status: int) -> dict[str, Any]:
    name = "Fail" if status < 500 else "Error"
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    if name not in schemas:
        model = Fail if status < 500 else Error
        schemas[name] = model.model_json_schema(ref_template="#/components/schemas/{model}")
        for sub, schema in schemas[name].pop("$defs", {}).items():
            schemas.setdefault(sub, schema)
    return {"description": WHY[status],
            "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{name}"}}}}


def tidy(document: dict[str, Any]) -> dict[str, Any]:
    """Validation errors answer 400 with a JSend fail body: FastAPI's 422 entries go, every
    operation that validates input documents 400 instead."""
    for item in document.get("paths", {}).values():
        for operation in item.values():
            responses = operation.get("responses", {})
            if responses.pop("422", None) is not None or operation.get("requestBody") \
                    or operation.get("parameters"):
                responses.setdefault("400", _fail_ref(document, 400))
    schemas = document.get("components", {}).get("schemas", {})
    for unused in ("HTTPValidationError", "ValidationError"):
        schemas.pop(unused, None)
    return document


SECURITY_SCHEMES = {
    "bearer": {"type": "http", "scheme": "bearer",
               "description": "`Authorization: Bearer <token>` from /api/auth/login"},
    "cookie": {"type": "apiKey", "in": "cookie", "name": "lumi_session",
               "description": "Session cookie set by /api/auth/login (`__Host-` prefixed outside "
                              "development); state-changing requests need a same-site Origin"},
}
LOGGED_IN = [{"bearer": []}, {"cookie": []}]


def _checks(dependant: Any) -> set[str]:
    names = set()
    for sub in dependant.dependencies:
        names.add(getattr(sub.call, "__name__", ""))
        names |= _checks(sub)
    return names


def _identity_answers(app: FastAPI, document: dict[str, Any]) -> None:
    """Routes behind `CurrentUser`/`AdminUser` answer 401 (and 403) and need a session."""
    for context in routing.iter_route_contexts(app.routes):
        route = context.original_route
        if not isinstance(route, APIRoute) or not route.include_in_schema:
            continue
        checks = _checks(route.dependant)
        if not checks & {"require_user", "require_admin"}:
            continue
        item = document["paths"].get(context.path_format, {})
        for method in context.methods or ():
            operation = item.get(method.lower())
            if operation is None:
                continue
            operation["security"] = LOGGED_IN
            responses = operation.setdefault("responses", {})
            responses.setdefault("401", _fail_ref(document, 401))
            if "require_admin" in checks:
                responses.setdefault("403", _fail_ref(document, 403))
    document.setdefault("components", {})["securitySchemes"] = SECURITY_SCHEMES


QUEUE_PATHS = "/api/admin/queues/{name}"


def _queue_paths(app: FastAPI, document: dict[str, Any]) -> None:
    """The admin queue routes, written once in `queues_api`, answer only for this service's
    queues (the gateway routes each name to its owner): one literal path per queue."""
    names = sorted(getattr(app.state, "queues", {}) or {})
    paths = document.get("paths", {})
    for path in [p for p in paths if p.startswith(QUEUE_PATHS)]:
        item = paths.pop(path)
        for name in names:
            concrete = copy.deepcopy(item)
            for operation in concrete.values():
                operation["parameters"] = [p for p in operation.get("parameters", [])
                                           if not (p["in"] == "path" and p["name"] == "name")]
                operation["operationId"] = f"{operation.get('operationId', '')}_{name}"
            paths[path.replace("{name}", name)] = concrete


def install(app: FastAPI) -> None:
    """The app's `/openapi.json` is generated once, tidied."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            document = tidy(get_openapi(
                title=app.title, version=app.version, openapi_version=app.openapi_version,
                description=app.description, routes=app.routes))
            _identity_answers(app, document)
            _queue_paths(app, document)
            app.openapi_schema = document
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
