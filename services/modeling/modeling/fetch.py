"""SSRF-safe server-side downloads (source images, provider results) and the image loader.

A URL is fetched only when: the scheme is https (http only when allowed), there is no
userinfo, the port is 80/443, the host is on the allow-list (when one is configured;
`.example.com` entries match that domain and its subdomains on a label boundary), and
every resolved address is outside an explicit deny list (not `is_global`: the CPython
here predates the 2024 `ipaddress` fixes). The connection goes to the validated address
(pinned, original Host and SNI), redirects are re-validated (at most 3), and the body is
capped while streaming under an overall timeout.
"""

import asyncio
import ipaddress
import socket
from collections.abc import Awaitable, Callable
from urllib.parse import unquote, urljoin, urlsplit

import httpx

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[[str, int], Awaitable[list[str]]]

DENY_NETWORKS = [ipaddress.ip_network(n) for n in (
    "0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16",
    "172.16.0.0/12", "192.0.0.0/24", "192.0.2.0/24", "192.168.0.0/16", "198.18.0.0/15",
    "198.51.100.0/24", "203.0.113.0/24", "224.0.0.0/4", "240.0.0.0/4", "255.255.255.255/32",
    "::/128", "::1/128", "fc00::/7", "fe80::/10", "ff00::/8", "2001:db8::/32")]
MAX_REDIRECTS = 3
IMAGE_MAGIC = (b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"GIF87a", b"GIF89a")


class FetchError(Exception):
    """A download that failed; `retryable` says whether trying again may help."""

    def __init__(self, message: str, *, retryable: bool = True) -> None:
        super().__init__(message)
        self.retryable = retryable


class BlockedURL(FetchError):
    def __init__(self, message: str) -> None:
        super().__init__(message, retryable=False)


def _embedded_ipv4(address: IPAddress) -> ipaddress.IPv4Address | None:
    if isinstance(address, ipaddress.IPv4Address):
        return None
    if address.ipv4_mapped:
        return address.ipv4_mapped
    if address.sixtofour:
        return address.sixtofour
    if address in ipaddress.ip_network("64:ff9b::/96"):
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
    for entry in allowed:
        if entry.startswith("."):
            if host == entry[1:] or host.endswith(entry):
                return True
        elif host == entry:
            return True
    return False


async def system_resolver(host: str, port: int) -> list[str]:
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(info[4][0] for info in infos))


class SafeFetcher:
    def __init__(self, *, allowed_hosts: tuple[str, ...] = (), allow_http: bool = False,
                 timeout: float = 20.0, resolver: Resolver | None = None,
                 transport: httpx.AsyncBaseTransport | None = None,
                 address_policy: Callable[[IPAddress], bool] | None = None) -> None:
        self.allowed_hosts = allowed_hosts
        self.allow_http = allow_http
        self.timeout = timeout
        self.resolver = resolver or system_resolver
        self.transport = transport
        self.denied = address_policy or address_denied

    def validate(self, url: str, allowed: tuple[str, ...]) -> tuple[str, str, int]:
        if any(c.isspace() or ord(c) < 32 for c in url) or "\\" in url:
            raise BlockedURL("URL contains forbidden characters")
        parts = urlsplit(url)
        schemes = ("https", "http") if self.allow_http else ("https",)
        if parts.scheme not in schemes:
            raise BlockedURL(f"scheme {parts.scheme!r} is not allowed")
        if parts.username is not None or parts.password is not None or "@" in parts.netloc:
            raise BlockedURL("credentials in URLs are not allowed")
        host = (parts.hostname or "").rstrip(".").lower()
        try:
            port = parts.port or (443 if parts.scheme == "https" else 80)
        except ValueError:
            raise BlockedURL("invalid port") from None
        if not host or port not in (80, 443):
            raise BlockedURL("host or port not allowed")
        if not host_allowed(host, allowed):
            raise BlockedURL(f"host {host} is not on the allow-list")
        return parts.scheme, host, port

    async def _pinned_address(self, host: str, port: int) -> str:
        try:
            literal = ipaddress.ip_address(host.strip("[]"))
            candidates = [str(literal)]
        except ValueError:
            try:
                candidates = await self.resolver(host, port)
            except OSError as exc:
                raise FetchError(f"cannot resolve {host}: {exc}") from None
        if not candidates:
            raise FetchError(f"cannot resolve {host}")
        addresses = [ipaddress.ip_address(a.split("%")[0]) for a in candidates]
        if any(self.denied(a) for a in addresses):
            raise BlockedURL("address not allowed")
        return str(addresses[0])

    async def fetch(self, url: str, *, max_bytes: int,
                    allowed_hosts: tuple[str, ...] | None = None) -> bytes:
        allowed = self.allowed_hosts if allowed_hosts is None else allowed_hosts
        try:
            async with asyncio.timeout(self.timeout):
                return await self._fetch(url, max_bytes, allowed)
        except TimeoutError:
            raise FetchError("download timed out") from None
        except httpx.HTTPError as exc:
            raise FetchError(f"download failed: {type(exc).__name__}") from None

    async def _fetch(self, url: str, max_bytes: int, allowed: tuple[str, ...]) -> bytes:
        timeout = httpx.Timeout(self.timeout, connect=min(3.0, self.timeout))
        async with httpx.AsyncClient(transport=self.transport, timeout=timeout,
                                     follow_redirects=False, trust_env=False) as client:
            for _ in range(MAX_REDIRECTS + 1):
                scheme, host, port = self.validate(url, allowed)
                address = await self._pinned_address(host, port)
                parts = urlsplit(url)
                netloc = f"[{address}]" if ":" in address else address
                target = parts._replace(netloc=f"{netloc}:{port}", fragment="").geturl()
                default_port = 443 if scheme == "https" else 80
                host_header = host if port == default_port else f"{host}:{port}"
                request = client.build_request(
                    "GET", target, headers={"Host": host_header, "Accept": "*/*"},
                    extensions={"sni_hostname": host})
                response = await client.send(request, stream=True)
                try:
                    if response.is_redirect:
                        url = urljoin(url, response.headers.get("location", ""))
                        continue
                    return await self._read(response, max_bytes)
                finally:
                    await response.aclose()
        raise FetchError("too many redirects", retryable=False)

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


def is_image(data: bytes) -> bool:
    return data.startswith(IMAGE_MAGIC) or (data[:4] == b"RIFF" and data[8:12] == b"WEBP")


class ImageLoader:
    """The selected image: read from our own storage when the URL is one of its public
    URLs (no network hop, no SSRF surface), else through the safe fetcher."""

    def __init__(self, storage, fetcher: SafeFetcher, *, max_bytes: int) -> None:
        self.storage, self.fetcher, self.max_bytes = storage, fetcher, max_bytes

    def storage_key(self, url: str) -> str | None:
        probe = "probe.png"
        prefix = self.storage.url(probe)[: -len(probe)]
        if not url.startswith(prefix):
            return None
        key = unquote(urlsplit(url[len(prefix):]).path)
        parts = key.split("/")
        if not key or any(p in ("", ".", "..") for p in parts) or "\\" in key:
            raise BlockedURL("unsafe storage key")
        return key

    async def load(self, url: str) -> bytes:
        key = self.storage_key(url)
        if key is not None:
            try:
                data = await self.storage.get(key)
            except FileNotFoundError:
                raise FetchError("source image not found in storage", retryable=False) from None
        else:
            data = await self.fetcher.fetch(url, max_bytes=self.max_bytes)
        if len(data) > self.max_bytes or not is_image(data):
            raise FetchError("source is not a PNG, JPEG, GIF or WebP image", retryable=False)
        return data
