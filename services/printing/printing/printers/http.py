"""The HTTP plumbing printer adapters share: one pooled client, timeouts and errors mapped to
PrinterUnavailable (no answer, 5xx, 401/403) or PrinterRefused (the printer said no)."""

from typing import Any

import httpx

from .base import PrinterRefused, PrinterUnavailable


class PrinterHttp:
    def __init__(self, base_url: str, *, headers: dict[str, str], timeout: float,
                 name: str, client: httpx.AsyncClient | None = None) -> None:
        self.base_url, self.name = base_url.rstrip("/"), name
        self.client = client or httpx.AsyncClient(timeout=timeout, headers=headers)

    async def request(self, method: str, path: str, **kw: Any) -> httpx.Response:
        try:
            response = await self.client.request(method, self.base_url + path, **kw)
        except httpx.TimeoutException:
            raise PrinterUnavailable(f"{self.name} did not answer in time") from None
        except httpx.HTTPError as exc:
            raise PrinterUnavailable(f"{self.name} is unreachable ({type(exc).__name__})") from None
        if response.status_code in (401, 403):
            raise PrinterUnavailable(f"{self.name} refused our credentials", status=response.status_code)
        if response.status_code >= 500:
            raise PrinterUnavailable(f"{self.name} failed (HTTP {response.status_code})",
                                     status=response.status_code)
        if response.status_code >= 400:
            raise PrinterRefused(f"{self.name} refused the request (HTTP {response.status_code}): "
                                 f"{response.text[:200]}", status=response.status_code)
        return response

    async def json(self, method: str, path: str, **kw: Any) -> Any:
        response = await self.request(method, path, **kw)
        try:
            return response.json()
        except ValueError:
            raise PrinterUnavailable(f"{self.name} sent a malformed answer") from None

    async def envelope(self, method: str, path: str, key: str, **kw: Any) -> dict[str, Any]:
        """A JSON object answer that must carry `key` (Moonraker's result, FY's code)."""
        body = await self.json(method, path, **kw)
        if not isinstance(body, dict) or key not in body:
            raise PrinterUnavailable(f"{self.name} sent a malformed answer")
        return body

    async def aclose(self) -> None:
        await self.client.aclose()
