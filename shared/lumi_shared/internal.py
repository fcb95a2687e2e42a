"""Internal service-to-service HTTP calls, authenticated with a signed service identity."""

from http.cookiejar import CookieJar, DefaultCookiePolicy
from typing import Any

import httpx

from .identity import service_identity_header
from .tracing import instrument_httpx


def no_cookie_jar() -> CookieJar:
    """A jar that stores nothing. A shared client must never replay one caller's cookies
    (e.g. a session set by auth's login answer) on another caller's request."""
    return CookieJar(policy=DefaultCookiePolicy(allowed_domains=[]))


class InternalClient:
    """Pooled client for one peer service; short timeouts, never exposed publicly."""

    def __init__(self, base_url: str, *, caller: str, secret: str, timeout: float = 2.0,
                 max_connections: int = 100, pool_timeout: float = 5.0,
                 transport: httpx.AsyncBaseTransport | None = None) -> None:
        self.caller, self.secret = caller, secret
        self.http = httpx.AsyncClient(
            base_url=base_url.rstrip("/"), transport=transport, cookies=no_cookie_jar(),
            timeout=httpx.Timeout(timeout, pool=pool_timeout),
            limits=httpx.Limits(max_connections=max_connections,
                                max_keepalive_connections=max_connections // 2))
        instrument_httpx(self.http, caller)

    async def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        headers = {**kwargs.pop("headers", {}), **service_identity_header(self.caller, self.secret)}
        return await self.http.request(method, path, headers=headers, **kwargs)

    async def get_data(self, path: str, **kwargs: Any) -> Any:
        """GET a JSend endpoint and return its `data`; raises on any failure."""
        response = await self.request("GET", path, **kwargs)
        response.raise_for_status()
        return response.json()["data"]

    async def aclose(self) -> None:
        await self.http.aclose()
