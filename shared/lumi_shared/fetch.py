"""SSRF-safe server-side downloads.

A URL is fetched only when: it has no whitespace, control characters or backslashes; the
scheme is https (http only when allowed); there is no userinfo; the port is the scheme's
default (443, or 80 for http); the host is on the allow-list when one is configured
(`.example.com` entries match that domain and its subdomains on a label boundary, other
entries match exactly); and every address the host resolves to is outside an explicit deny
list (not `is_global`: the CPython here predates the 2024 `ipaddress` fixes). IPv4 embedded
in IPv4-mapped, 6to4 and NAT64 addresses is checked too, and numeric hosts the C resolver
would accept (`127.1`, `0x7f000001`, `2130706433`) are treated as literals. The connection
goes to the validated address (pinned, original Host and SNI), redirects are re-validated
hop by hop (at most 3 by default), and the body is capped while streaming under an overall
timeout. `allow_http_loopback` is a test switch: plain http to 127.0.0.1, any port.
"""

import asyncio
import ipaddress
import socket
from collections.abc import Awaitable, Callable
from urllib.parse import urljoin, urlsplit

import httpx

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[[str, int], Awaitable[list[str]]]

DENY_NETWORKS = [ipaddress.ip_network(n) for n in (
    "0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16",
    "172.16.0.0/12", "192.0.0.0/24", "192.0.2.0/24", "192.168.0.0/16", "198.18.0.0/15",
    "198.51.100.0/24", "203.0.113.0/24", "224.0.0.0/4", "240.0.0.0/4", "255.255.255.255/32",
    "::/128", "::1/128", "fc00::/7", "fe80::/10", "ff00::/8", "2001:db8::/32")]
NAT64 = ipaddress.ip_network("64:ff9b::/96")
LOOPBACK = "127.0.0.1"


class FetchError(Exception):
    """A download that failed; `retryable` says whether trying again may help."""

    def __init__(self, message: str, *, retryable: bool = True) -> None:
        super().__init__(message)
        self.retryable = retryable


class BlockedURL(FetchError):
    """The URL or an address it resolves to is refused by policy (never retryable)."""

    def __init__(self, reason: str) -> None:
        super().__init__(f"URL refused: {reason}", retryable=False)


def _embedded_ipv4(address: IPAddress) -> ipaddress.IPv4Address | None:
    if isinstance(address, ipaddress.IPv4Address):
        return None
    if address.ipv4_mapped or address.sixtofour:
        return address.ipv4_mapped or address.sixtofour
    if address in NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def address_denied(address: IPAddress) -> bool:
    inner = _embedded_ipv4(address)
    if inner is not None and address_denied(inner):
        return True
    return any(address.version == net.version and address in net for net in DENY_NETWORKS)


def host_allowed(host: str, allowed: tuple[str, ...]) -> bool:
    if not allowed:
        return True
    for entry in (e.lower() for e in allowed):
        if entry.startswith("."):
            if host == entry[1:] or host.endswith(entry):
                return True
        elif host == entry:
            return True
    return False


def literal_address(host: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        pass
    try:
        return ipaddress.IPv4Address(socket.inet_aton(host))
    except (OSError, ValueError):
        return None


async def system_resolver(host: str, port: int) -> list[str]:
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(info[4][0] for info in infos))


class SafeFetcher:
    def __init__(self, *, allowed_hosts: tuple[str, ...] = (), allow_http: bool = False,
                 allow_http_loopback: bool = False, timeout: float = 20.0,
                 connect_timeout: float = 3.0, max_redirects: int = 3, accept: str = "*/*",
                 resolver: Resolver | None = None,
                 transport: httpx.AsyncBaseTransport | None = None,
                 address_policy: Callable[[IPAddress], bool] | None = None) -> None:
        self.allowed_hosts = allowed_hosts
        self.allow_http, self.allow_http_loopback = allow_http, allow_http_loopback
        self.timeout, self.connect_timeout = timeout, min(connect_timeout, timeout)
        self.max_redirects, self.accept = max_redirects, accept
        self.resolver = resolver or system_resolver
        self.transport = transport
        self.denied = address_policy or address_denied

    def validate(self, url: str, allowed: tuple[str, ...]) -> tuple[str, str, int]:
        if any(c.isspace() or ord(c) < 32 for c in url) or "\\" in url:
            raise BlockedURL("invalid characters")
        try:
            parts = urlsplit(url)
            port = parts.port
            host = (parts.hostname or "").rstrip(".").encode("idna").decode("ascii").lower()
        except (ValueError, UnicodeError):
            raise BlockedURL("malformed") from None
        if parts.username is not None or parts.password is not None or "@" in parts.netloc:
            raise BlockedURL("credentials not allowed")
        if parts.scheme == "http" and host == LOOPBACK and self.allow_http_loopback:
            return parts.scheme, host, port or 80
        if parts.scheme != "https" and not (parts.scheme == "http" and self.allow_http):
            raise BlockedURL("https or http required" if self.allow_http else "https required")
        default_port = 443 if parts.scheme == "https" else 80
        if not host or (port or default_port) != default_port:
            raise BlockedURL("host or port not allowed")
        if not host_allowed(host, allowed):
            raise BlockedURL("host not on the allow-list")
        return parts.scheme, host, default_port

    async def _pinned_address(self, scheme: str, host: str, port: int) -> str:
        if scheme == "http" and host == LOOPBACK and self.allow_http_loopback:
            return LOOPBACK
        literal = literal_address(host)
        try:
            candidates = [str(literal)] if literal else await self.resolver(host, port)
        except OSError:
            candidates = []
        if not candidates:
            raise FetchError(f"download failed: cannot resolve {host}")
        addresses = [ipaddress.ip_address(a.split("%")[0]) for a in candidates]
        if any(self.denied(a) for a in addresses):
            raise BlockedURL("private or reserved address")
        return str(addresses[0])

    async def fetch(self, url: str, *, max_bytes: int,
                    allowed_hosts: tuple[str, ...] | None = None) -> bytes:
        allowed = self.allowed_hosts if allowed_hosts is None else allowed_hosts
        try:
            async with asyncio.timeout(self.timeout):
                return await self._fetch(url, max_bytes, allowed)
        except (TimeoutError, httpx.TimeoutException):
            raise FetchError("download timed out") from None
        except httpx.HTTPError as exc:
            raise FetchError(f"download failed ({type(exc).__name__})") from None

    async def _fetch(self, url: str, max_bytes: int, allowed: tuple[str, ...]) -> bytes:
        timeout = httpx.Timeout(self.timeout, connect=self.connect_timeout)
        async with httpx.AsyncClient(transport=self.transport, timeout=timeout,
                                     follow_redirects=False, trust_env=False) as client:
            for _ in range(self.max_redirects + 1):
                scheme, host, port = self.validate(url, allowed)
                address = await self._pinned_address(scheme, host, port)
                netloc = f"[{address}]" if ":" in address else address
                target = urlsplit(url)._replace(netloc=f"{netloc}:{port}", fragment="").geturl()
                default_port = 443 if scheme == "https" else 80
                request = client.build_request(
                    "GET", target, extensions={"sni_hostname": host},
                    headers={"Host": host if port == default_port else f"{host}:{port}",
                             "Accept": self.accept})
                response = await client.send(request, stream=True)
                try:
                    if response.is_redirect:
                        url = urljoin(url, response.headers.get("location", ""))
                        continue
                    return await self._read(response, max_bytes)
                finally:
                    await response.aclose()
        raise BlockedURL("too many redirects")

    @staticmethod
    async def _read(response: httpx.Response, max_bytes: int) -> bytes:
        if response.status_code != 200:
            retryable = response.status_code >= 500 or response.status_code == 429
            raise FetchError(f"download answered HTTP {response.status_code}",
                             retryable=retryable)
        declared = response.headers.get("content-length")
        if declared and declared.isdigit() and int(declared) > max_bytes:
            raise FetchError("download too large", retryable=False)
        chunks, size = [], 0
        async for chunk in response.aiter_bytes():
            size += len(chunk)
            if size > max_bytes:
                raise FetchError("download too large", retryable=False)
            chunks.append(chunk)
        return b"".join(chunks)
