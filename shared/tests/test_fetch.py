"""Server-side downloads refuse internal addresses and bound what they read."""

import asyncio
import ipaddress

import httpx
import pytest

from lumi_shared.fetch import BlockedURL, FetchError, SafeFetcher, address_denied, host_allowed

PUBLIC = "93.184.216.34"


def fetcher(handler, resolved=(PUBLIC,), **kwargs) -> SafeFetcher:
    lookups: list[str] = []
    seen: list[httpx.Request] = []

    async def resolver(host: str, port: int) -> list[str]:
        lookups.append(host)
        return list(resolved)

    def record(request: httpx.Request):
        seen.append(request)
        return handler(request)

    safe = SafeFetcher(transport=httpx.MockTransport(record), resolver=resolver, **kwargs)
    safe.lookups, safe.seen = lookups, seen
    return safe


def ok(request: httpx.Request) -> httpx.Response:
    return httpx.Response(200, content=b"data")


@pytest.mark.parametrize("ip", [
    "127.0.0.1", "0.0.0.0", "10.0.0.1", "172.16.0.1", "192.168.0.1", "100.64.0.1",
    "169.254.169.254", "224.0.0.1", "255.255.255.255", "::1", "::", "fd00::1", "fe80::1",
    "::ffff:127.0.0.1", "::ffff:10.0.0.1", "::ffff:a9fe:a9fe", "64:ff9b::7f00:1",
    "64:ff9b::a9fe:a9fe", "2002:7f00:1::", "2001:db8::1"])
def test_private_and_reserved_addresses_are_denied(ip):
    assert address_denied(ipaddress.ip_address(ip))


@pytest.mark.parametrize("ip", [PUBLIC, "8.8.8.8", "2606:4700::1111", "::ffff:8.8.8.8",
                                "64:ff9b::808:808"])
def test_public_addresses_are_allowed(ip):
    assert not address_denied(ipaddress.ip_address(ip))


async def assert_refused_offline(url: str) -> None:
    """Refused before any name lookup or connection."""
    safe = fetcher(ok)
    with pytest.raises(BlockedURL):
        await safe.fetch(url, max_bytes=100)
    assert safe.lookups == [] and safe.seen == []


@pytest.mark.parametrize("url", [
    "https://127.0.0.1/", "https://0.0.0.0/", "https://[::1]/", "https://[fd00::1]/",
    "https://169.254.169.254/latest/meta-data/", "https://10.0.0.1/", "https://172.16.0.1/",
    "https://192.168.0.1/", "https://100.64.0.1/", "https://[::ffff:127.0.0.1]/",
    "https://[::ffff:a9fe:a9fe]/", "https://[64:ff9b::7f00:1]/", "https://[2002:7f00:1::]/",
    "https://127.1/", "https://0x7f000001/", "https://2130706433/", "https://017700000001/",
])
async def test_literal_internal_addresses_are_refused_without_a_lookup_or_connection(url):
    await assert_refused_offline(url)


@pytest.mark.parametrize("url", [
    "file:///etc/passwd", "gopher://x.test/", "ftp://x.test/", "http://x.test/",
    "http://127.0.0.1:9000/a.png", "https://user:pw@x.test/", "https://x.test@127.0.0.1/",
    "https://x.test:6379/", "https://x.test:80/", "https://x.test:abc/", "https://[::1/",
    "https://x.test/a b", "https://x.test/\r\nHost: evil", "https:\\\\x.test\\a",
    "https://x.test\\@evil/a.png", "https://a..b/",
])
async def test_schemes_userinfo_ports_and_odd_characters_are_refused(url):
    await assert_refused_offline(url)


@pytest.mark.parametrize("resolved", [
    ("127.0.0.1",), ("10.1.2.3",), ("169.254.169.254",), ("::1",), (PUBLIC, "10.1.2.3")])
async def test_a_name_resolving_to_any_internal_address_is_refused(resolved):
    safe = fetcher(ok, resolved=resolved)
    with pytest.raises(BlockedURL, match="private or reserved"):
        await safe.fetch("https://localhost/a.png", max_bytes=100)
    assert safe.seen == []


async def test_a_name_that_does_not_resolve_is_a_retryable_failure():
    safe = fetcher(ok, resolved=())
    with pytest.raises(FetchError, match="cannot resolve") as info:
        await safe.fetch("https://gone.test/", max_bytes=100)
    assert info.value.retryable


async def test_the_connection_goes_to_the_validated_address_with_the_original_host():
    safe = fetcher(ok)
    assert await safe.fetch("https://cdn.test/x/a.png?sig=1#frag", max_bytes=100) == b"data"
    (request,) = safe.seen
    assert request.url.host == PUBLIC and request.url.path == "/x/a.png"
    assert request.url.query == b"sig=1"
    assert request.headers["host"] == "cdn.test"
    assert request.extensions["sni_hostname"] == "cdn.test"
    assert "authorization" not in request.headers and "cookie" not in request.headers
    assert safe.lookups == ["cdn.test"]


async def test_redirects_to_internal_addresses_are_not_followed():
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(302, headers={"location": "https://169.254.169.254/latest"})

    safe = fetcher(handler)
    with pytest.raises(BlockedURL):
        await safe.fetch("https://cdn.test/a.png", max_bytes=100)
    assert len(safe.seen) == 1


async def test_redirect_targets_are_resolved_and_checked_again():
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(302, headers={"location": "https://internal.test/"})

    async def resolver(host: str, port: int) -> list[str]:
        return ["10.0.0.5"] if host == "internal.test" else [PUBLIC]

    safe = SafeFetcher(transport=httpx.MockTransport(handler), resolver=resolver)
    with pytest.raises(BlockedURL, match="private or reserved"):
        await safe.fetch("https://cdn.test/a.png", max_bytes=100)


async def test_redirects_are_followed_when_allowed_and_bounded():
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/old":
            return httpx.Response(301, headers={"location": "/new"})
        if request.url.path == "/new":
            return httpx.Response(200, content=b"moved")
        return httpx.Response(302, headers={"location": "/loop"})

    safe = fetcher(handler)
    assert await safe.fetch("https://cdn.test/old", max_bytes=100) == b"moved"
    with pytest.raises(BlockedURL, match="too many redirects"):
        await safe.fetch("https://cdn.test/loop", max_bytes=100)
    assert len(safe.seen) == 2 + 4


async def test_bodies_over_the_cap_are_aborted_whatever_the_declared_length():
    async def chunks():
        for _ in range(10):
            yield b"x" * 50

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/declared":
            return httpx.Response(200, content=b"x" * 1000)
        if request.url.path == "/chunked":
            return httpx.Response(200, content=chunks())
        return httpx.Response(200, headers={"content-length": "10"},
                              stream=httpx.ByteStream(b"x" * 1000))

    safe = fetcher(handler)
    for path in ("/declared", "/chunked", "/lying"):
        with pytest.raises(FetchError, match="too large") as info:
            await safe.fetch(f"https://cdn.test{path}", max_bytes=100)
        assert info.value.retryable is False


async def test_http_errors_and_timeouts_say_whether_a_retry_can_help():
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/slow":
            raise httpx.ReadTimeout("slow", request=request)
        return httpx.Response(int(request.url.path.strip("/")))

    safe = fetcher(handler)
    with pytest.raises(FetchError) as not_found:
        await safe.fetch("https://cdn.test/404", max_bytes=100)
    with pytest.raises(FetchError) as unavailable:
        await safe.fetch("https://cdn.test/503", max_bytes=100)
    with pytest.raises(FetchError, match="timed out") as slow:
        await safe.fetch("https://cdn.test/slow", max_bytes=100)
    assert not not_found.value.retryable and unavailable.value.retryable
    assert slow.value.retryable


async def test_a_slow_upstream_hits_the_total_deadline():
    async def slow(request: httpx.Request) -> httpx.Response:
        await asyncio.sleep(30)
        return httpx.Response(200)

    with pytest.raises(FetchError, match="timed out"):
        await fetcher(slow, timeout=0.1).fetch("https://cdn.test/a.png", max_bytes=100)


def test_the_allow_list_matches_whole_labels_only():
    allowed = (".myqcloud.com", "Exact.test")
    assert host_allowed("bucket.cos.myqcloud.com", allowed)
    assert host_allowed("myqcloud.com", allowed) and host_allowed("exact.test", allowed)
    assert not host_allowed("evilmyqcloud.com", allowed)
    assert not host_allowed("x.myqcloud.com.evil.test", allowed)
    assert not host_allowed("exact.test.evil.test", allowed)
    assert not host_allowed("sub.exact.test", allowed)


@pytest.mark.parametrize("url", [
    "https://allowed.example.evil.test/a", "https://evil.test/?allowed.example",
    "https://evil.test/allowed.example", "https://x.allowed.example.evil.test/a",
])
async def test_hosts_off_the_allow_list_are_refused_before_resolving(url):
    safe = fetcher(ok, allowed_hosts=(".allowed.example", "cdn.test"))
    with pytest.raises(BlockedURL, match="allow-list"):
        await safe.fetch(url, max_bytes=10)
    assert safe.lookups == []
    assert await safe.fetch("https://CDN.test./a", max_bytes=10) == b"data"
    assert await safe.fetch("https://a.allowed.example/a", max_bytes=10) == b"data"


async def test_plain_http_only_when_allowed_and_still_on_the_default_port():
    safe = fetcher(ok, allow_http=True)
    assert await safe.fetch("http://cdn.test/a", max_bytes=10) == b"data"
    assert safe.seen[0].url.port in (None, 80)
    for url in ("http://cdn.test:8080/a", "http://127.0.0.1/a", "ftp://cdn.test/a"):
        with pytest.raises(BlockedURL):
            await safe.fetch(url, max_bytes=10)


async def test_plain_http_to_loopback_only_with_the_test_switch():
    safe = fetcher(ok, allow_http_loopback=True, allowed_hosts=("cdn.test",))
    assert await safe.fetch("http://127.0.0.1:8123/a.png", max_bytes=10) == b"data"
    assert safe.seen[0].headers["host"] == "127.0.0.1:8123" and safe.lookups == []
    for url in ("http://localhost:8123/a.png", "http://10.0.0.1/a.png",
                "http://u:p@127.0.0.1:8123/", "https://127.0.0.1/", "http://127.1:8123/"):
        with pytest.raises(BlockedURL):
            await safe.fetch(url, max_bytes=10)
