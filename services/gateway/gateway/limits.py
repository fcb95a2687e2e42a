"""Request header limit of the public entry: oversized headers are answered 431 before any
routing, session lookup or forwarding (uvicorn's httptools parser sets no such limit)."""

import json

from starlette.types import ASGIApp, Receive, Scope, Send

from lumi_shared.http import fail_body


class HeaderLimitMiddleware:
    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app, self.max_bytes = app, max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            size = sum(len(k) + len(v) + 4 for k, v in scope["headers"])
            if size > self.max_bytes:
                body = json.dumps(fail_body(
                    f"Request headers exceed {self.max_bytes} bytes",
                    "HEADERS_TOO_LARGE")).encode()
                await send({"type": "http.response.start", "status": 431, "headers": [
                    (b"content-type", b"application/json"), (b"connection", b"close"),
                    (b"content-length", str(len(body)).encode())]})
                await send({"type": "http.response.body", "body": body})
                return
        await self.app(scope, receive, send)
