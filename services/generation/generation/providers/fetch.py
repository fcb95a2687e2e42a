"""Download of provider result URLs through `lumi_shared.fetch.SafeFetcher`, whose module
docstring states the SSRF policy. This adapter fixes the size cap, sends `Accept: image/*`
and reports failures as `ProviderError`; refusals and other final failures are
`FetchRefused` (never retried).
"""

import httpx

from lumi_shared.fetch import FetchError, Resolver, SafeFetcher

from .base import ProviderError


class FetchRefused(ProviderError):
    def __init__(self, message: str) -> None:
        super().__init__(message, retryable=False)


class GuardedFetcher:
    def __init__(self, *, max_bytes: int = 20 * 1024 * 1024, timeout: float = 30.0,
                 connect_timeout: float = 5.0, allowed_hosts: tuple[str, ...] = (),
                 allow_http_loopback: bool = False, max_redirects: int = 3,
                 resolver: Resolver | None = None,
                 transport: httpx.AsyncBaseTransport | None = None) -> None:
        self.max_bytes = max_bytes
        self.fetcher = SafeFetcher(
            allowed_hosts=allowed_hosts, allow_http_loopback=allow_http_loopback,
            timeout=timeout, connect_timeout=connect_timeout, max_redirects=max_redirects,
            accept="image/*", resolver=resolver, transport=transport)

    async def aclose(self) -> None:
        pass

    async def fetch(self, raw_url: str) -> bytes:
        try:
            return await self.fetcher.fetch(raw_url, max_bytes=self.max_bytes)
        except FetchError as exc:
            if exc.retryable:
                raise ProviderError(f"Result {exc}") from None
            raise FetchRefused(f"Result {exc}") from None
