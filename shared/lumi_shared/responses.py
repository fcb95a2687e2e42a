"""Fast JSON responses: bodies serialised once, by pydantic-core, straight to bytes.

`ok_json(data)` is the JSend success envelope of `data` (dicts, lists, pydantic models,
datetimes, enums) as a ready `Response`; FastAPI sends it as is, without `jsonable_encoder` or
response-model validation (a route's declared `response_model` still documents the schema).
"""

from typing import Any

from pydantic_core import to_json
from starlette.responses import Response

from .http import ok


class JSendJSON(Response):
    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return to_json(content)


def ok_json(data: Any, status_code: int = 200, headers: dict[str, str] | None = None) -> Response:
    return JSendJSON(ok(data), status_code=status_code, headers=headers)


def ok_array_json(page: dict[str, Any]) -> Response:
    """A page answered as the bare array at `data` (what the old clients read with
    `Array.isArray(data)`); the paging facts travel as `X-Total-Count` / `X-Has-More`."""
    items = page["items"]
    headers = {"X-Total-Count": str(int(page.get("total", len(items))))}
    if page.get("hasMore") is not None:
        headers["X-Has-More"] = "true" if page["hasMore"] else "false"
    return ok_json(items, headers=headers)
