"""SSRF-safe download of provider result URLs.

https only (plain http to 127.0.0.1 only when a test setting allows it), optional exact host
allow-list, every resolved address checked against an explicit deny-list (IPv4-mapped, NAT64
and 6to4 addresses unwrapped; `is_global` alone is not trusted on older CPythons), the
connection pinned to the validated address, redirects re-validated hop by hop, a size cap
enforced while streaming, and a total deadline.
"""

import asyncio
import ipaddress
import socket
from collections.abc import Awaitable, Callable

import httpx

from .base import ProviderError

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[[str, int], Awaitable[list[str]]]

DENY_V4 = [ipaddress.ip_network(n) for n in (
    "0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16", "172.16.0.0/12",
    "192.0.0.0/24", "192.0.2.0/24", "192.168.0.0/16", "198.18.0.0/15", "198.51.100.0/24",
    "203.0.113.0/24", "224.0.0.0/4", "240.0.0.0/4", "255.255.255.255/32")]
DENY_V6 = [ipaddress.ip_network(n) for n in (
    "::/128", "::1/128", "fc00::/7", "fe80::/10", "ff00::/8", "2001:db8::/32")]
NAT64 = ipaddress.ip_network("64:ff9b::/96")
REDIRECTS = (301, 302, 303, 307, 308)
LOOPBACK = ipaddress.ip_address("127.0.0.1")


class FetchRefused(ProviderError):
    def __init__(self, message: str) -> None:
        super().__init__(message, retryable=False)


def address_allowed(ip: IPAddress) -> bool:
    if isinstance(ip, ipaddress.IPv6Address):
        embedded = ip.ipv4_mapped or ip.sixtofour
        if embedded is None and ip in NAT64:
            embedded = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
        if embedded is not None:
            return address_allowed(embedded)
        return not any(ip in net for net in DENY_V6)
    return not any(ip in net for net in DENY_V4)


async def system_resolver(host: str, port: int) -> list[str]:
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [info[4][0] for info in infos]


class GuardedFetcher:
    def __init__(self, *, max_bytes: int = 20 * 1024 * 1024, timeout: float = 30.0,
                 connect_timeout: float = 5.0, allowed_hosts: tuple[str, ...] = (),
                 allow_http_loopback: bool = False, max_redirects: int = 3,
                 resolver: Resolver | None = None,
                 transport: httpx.AsyncBaseTransport | None = None) -> None:
        self.max_bytes, self.timeout, self.max_redirects = max_bytes, timeout, max_redirects
        self.allowed_hosts = tuple(h.lower() for h in allowed_hosts)
        self.allow_http_loopback = allow_http_loopback
        self.resolver = resolver or system_resolver
        self.client = httpx.AsyncClient(transport=transport, follow_redirects=False,
                                        trust_env=False,
                                        timeout=httpx.Timeout(timeout, connect=connect_timeout))

    async def aclose(self) -> None:
        await self.client.aclose()

    def _parse(self, raw: str) -> httpx.URL:
        if any(c.isspace() or ord(c) < 32 for c in raw) or "\\" in raw:
            raise FetchRefused("Result URL refused: invalid characters")
        try:
            url = httpx.URL(raw)
        except (httpx.InvalidURL, ValueError):
            raise FetchRefused("Result URL refused: malformed") from None
        loopback_ok = (self.allow_http_loopback and url.scheme == "http"
                       and url.host == "127.0.0.1")
        if url.scheme != "https" and not loopback_ok:
            raise FetchRefused("Result URL refused: https required")
        if url.userinfo or not url.host:
            raise FetchRefused("Result URL refused: bad authority")
        if url.port not in (None, 443) and not loopback_ok:
            raise FetchRefused("Result URL refused: port not allowed")
        if self.allowed_hosts and url.host.lower() not in self.allowed_hosts and not loopback_ok:
            raise FetchRefused("Result URL refused: host not allowed")
        return url

    async def _address(self, url: httpx.URL) -> str:
        port = url.port or (443 if url.scheme == "https" else 80)
        try:
            candidates = [url.host] if _is_ip(url.host) else await self.resolver(url.host, port)
        except OSError:
            raise ProviderError("Result URL host could not be resolved") from None
        if not candidates:
            raise ProviderError("Result URL host could not be resolved")
        addresses = [ipaddress.ip_address(a.split("%", 1)[0]) for a in candidates]
        for ip in addresses:
            if self.allow_http_loopback and url.scheme == "http" and ip == LOOPBACK:
                continue
            if not address_allowed(ip):
                raise FetchRefused("Result URL refused: private or reserved address")
        return str(addresses[0])

    async def _send(self, url: httpx.URL) -> httpx.Response:
        ip = await self._address(url)
        pinned = url.copy_with(host=ip)
        request = self.client.build_request(
            "GET", pinned, headers={"Host": url.netloc.decode("ascii"), "Accept": "image/*"},
            extensions={"sni_hostname": url.host} if url.scheme == "https" else None)
        try:
            return await self.client.send(request, stream=True)
        except httpx.TimeoutException:
            raise ProviderError("Downloading the result timed out") from None
        except httpx.HTTPError as exc:
            raise ProviderError(f"Downloading the result failed ({type(exc).__name__})") from None

    async def _read(self, response: httpx.Response) -> bytes:
        length = response.headers.get("content-length")
        if length and length.isdigit() and int(length) > self.max_bytes:
            raise FetchRefused("Result is too large")
        chunks, size = [], 0
        async for chunk in response.aiter_bytes():
            size += len(chunk)
            if size > self.max_bytes:
                raise FetchRefused("Result is too large")
            chunks.append(chunk)
        return b"".join(chunks)

    async def fetch(self, raw_url: str) -> bytes:
        try:
            async with asyncio.timeout(self.timeout):
                return await self._fetch(raw_url)
        except TimeoutError:
            raise ProviderError("Downloading the result timed out") from None

    async def _fetch(self, raw_url: str) -> bytes:
        url = self._parse(raw_url)
        for _ in range(self.max_redirects + 1):
            response = await self._send(url)
            try:
                if response.status_code in REDIRECTS and "location" in response.headers:
                    url = self._parse(str(url.join(response.headers["location"])))
                    continue
                if response.status_code != 200:
                    retryable = response.status_code >= 500 or response.status_code == 429
                    raise ProviderError(f"Downloading the result answered HTTP "
                                        f"{response.status_code}", retryable=retryable)
                return await self._read(response)
            finally:
                await response.aclose()
        raise FetchRefused("Result URL redirected too often")


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True
