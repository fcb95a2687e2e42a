"""CORS from an allow-list (never a reflected wildcard with credentials) and security headers."""

import json
import re

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from lumi_shared.http import fail_body

_LOCALHOST = re.compile(r"^http://(localhost|127\.0\.0\.1)(:\d{1,5})?$")
ALLOW_METHODS = "GET, POST, PUT, PATCH, DELETE, OPTIONS"
ALLOW_HEADERS = "authorization, content-type, x-request-id, last-event-id, cache-control"
EXPOSE_HEADERS = "x-request-id, retry-after"
API_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'"
# Paths anyone may read from any origin (no credentials): their CORS answer, whatever the origin.
PUBLIC_CORS = {
    "/files/": {"access-control-allow-origin": "*"},
    "/api/proxy/": {"access-control-allow-origin": "*", "access-control-allow-methods": "GET, OPTIONS",
                    "access-control-allow-headers": "Content-Type"},
}
# A file URL is unguessable and changes when its model turns private; shared caches may keep
# a public one this long after that.
FILES_CACHE = "public, max-age=300"
# Swagger UI: its bundle from the CDN FastAPI links, one inline start-up script.
DOCS_CSP = ("default-src 'none'; script-src 'unsafe-inline' https://cdn.jsdelivr.net; "
            "style-src https://cdn.jsdelivr.net; img-src 'self' data: https://fastapi.tiangolo.com; "
            "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'")


class OriginPolicy:
    def __init__(self, origins: list[str], allow_localhost: bool) -> None:
        self.origins = set(origins)
        self.allow_localhost = allow_localhost

    def allowed(self, origin: str | None) -> bool:
        if not origin:
            return False
        return origin in self.origins or bool(self.allow_localhost and _LOCALHOST.match(origin))


class EdgeMiddleware:
    """Answers CORS preflights, adds CORS and security headers to every response."""

    def __init__(self, app: ASGIApp, policy: OriginPolicy, hsts: bool) -> None:
        self.app, self.policy, self.hsts = app, policy, hsts
        self._security: dict[str, list[tuple[bytes, bytes]]] = {}  # per CSP (three kinds)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        origin = preflight = None
        for key, value in scope["headers"]:
            if key == b"origin":
                origin = value.decode("latin-1")
            elif key == b"access-control-request-method":
                preflight = True
        path: str = scope["path"]
        is_files = path.startswith("/files/")
        public = next((v for p, v in PUBLIC_CORS.items() if path.startswith(p)), None)
        if scope["method"] == "OPTIONS" and preflight and (path.startswith("/api/") or public):
            await self._preflight(origin, public, send)
            return
        added = [(k.encode(), v.encode()) for k, v in (public or self._cors_headers(origin)).items()]
        added += self._security_headers(path)

        async def send_wrapped(message: Message) -> None:
            if message["type"] == "http.response.start":
                raw = [(k, v) for k, v in message.get("headers", [])
                       if not k.lower().startswith(b"access-control-") and k.lower() != b"server"]
                raw += added
                if is_files and message["status"] == 200:  # keyed URLs: revoked by a new key
                    raw.append((b"cache-control", FILES_CACHE.encode()))
                message["headers"] = raw
            await send(message)

        await self.app(scope, receive, send_wrapped)

    def _cors_headers(self, origin: str | None) -> dict[str, str]:
        if not self.policy.allowed(origin):
            return {"vary": "Origin"} if origin else {}
        return {"access-control-allow-origin": origin or "", "access-control-allow-credentials": "true",
                "access-control-expose-headers": EXPOSE_HEADERS, "vary": "Origin"}

    def _security_headers(self, path: str) -> list[tuple[bytes, bytes]]:
        """On every response (API, files, docs, 404s): nothing may frame or script it."""
        csp = DOCS_CSP if path == "/docs" else API_CSP
        if path.startswith("/api/proxy/"):  # remote bytes: never a document of our origin
            csp += "; sandbox"
        if (cached := self._security.get(csp)) is None:
            out = [("x-content-type-options", "nosniff"),
                   ("referrer-policy", "strict-origin-when-cross-origin"),
                   ("content-security-policy", csp), ("x-frame-options", "DENY")]
            if self.hsts:
                out.append(("strict-transport-security", "max-age=31536000; includeSubDomains"))
            cached = self._security[csp] = [(k.encode(), v.encode()) for k, v in out]
        return cached

    async def _preflight(self, origin: str | None, public: dict[str, str] | None,
                         send: Send) -> None:
        if public is not None or self.policy.allowed(origin):
            headers = {"access-control-allow-methods": ALLOW_METHODS,
                       "access-control-allow-headers": ALLOW_HEADERS,
                       **(public or self._cors_headers(origin)),
                       "access-control-max-age": "600", "content-length": "0"}
            await send({"type": "http.response.start", "status": 204,
                        "headers": [(k.encode(), v.encode()) for k, v in headers.items()]})
            await send({"type": "http.response.body", "body": b""})
            return
        body = json.dumps(fail_body("Origin not allowed", "FORBIDDEN")).encode()
        await send({"type": "http.response.start", "status": 403,
                    "headers": [(b"content-type", b"application/json"), (b"vary", b"Origin"),
                                (b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body})
