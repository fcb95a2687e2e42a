import ipaddress

import httpx
import pytest

from generation.providers.base import ProviderError
from generation.providers.fetch import FetchRefused, GuardedFetcher, address_allowed

PUBLIC = "93.184.216.34"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def resolver_to(*addresses):
    calls = []

    async def resolve(host, port):
        calls.append(host)
        return list(addresses)

    resolve.calls = calls
    return resolve


def fetcher(handler, *, resolver=None, **kw):
    seen = []

    def record(request):
        seen.append(request)
        return handler(request)

    f = GuardedFetcher(transport=httpx.MockTransport(record),
                       resolver=resolver or resolver_to(PUBLIC), **kw)
    f.seen = seen
    return f


@pytest.mark.parametrize("ip", [
    "127.0.0.1", "0.0.0.0", "10.0.0.1", "172.16.0.1", "192.168.0.1", "100.64.0.1",
    "169.254.169.254", "224.0.0.1", "255.255.255.255", "::1", "::", "fd00::1", "fe80::1",
    "::ffff:127.0.0.1", "::ffff:a9fe:a9fe", "64:ff9b::7f00:1", "2002:7f00:1::", "2001:db8::1"])
def test_private_and_reserved_addresses_are_denied(ip):
    assert not address_allowed(ipaddress.ip_address(ip))


@pytest.mark.parametrize("ip", ["93.184.216.34", "8.8.8.8", "2606:4700::1111",
                                "::ffff:8.8.8.8", "64:ff9b::808:808"])
def test_public_addresses_are_allowed(ip):
    assert address_allowed(ipaddress.ip_address(ip))


@pytest.mark.parametrize("url", [
    "http://cdn.example.com/a.png", "ftp://cdn.example.com/a.png", "file:///etc/passwd",
    "https://user:pw@cdn.example.com/a.png", "https://cdn.example.com:6379/a.png",
    "https://cdn.example.com/a b.png", "https://cdn.example.com\\@evil/a.png",
    "https://cdn.example.com/a.png\r\nX: y", "http://127.0.0.1:9000/a.png",
])
async def test_bad_schemes_ports_and_authorities_are_refused_without_connecting(url):
    f = fetcher(lambda r: httpx.Response(200, content=PNG))
    with pytest.raises(FetchRefused):
        await f.fetch(url)
    assert f.seen == []


@pytest.mark.parametrize("address", ["127.0.0.1", "10.1.2.3", "169.254.169.254", "::1"])
async def test_hosts_resolving_to_private_addresses_are_refused(address):
    f = fetcher(lambda r: httpx.Response(200, content=PNG), resolver=resolver_to(address))
    with pytest.raises(FetchRefused):
        await f.fetch("https://cdn.example.com/a.png")
    assert f.seen == []


async def test_a_mixed_public_and_private_resolution_is_refused():
    f = fetcher(lambda r: httpx.Response(200), resolver=resolver_to(PUBLIC, "10.0.0.1"))
    with pytest.raises(FetchRefused):
        await f.fetch("https://cdn.example.com/a.png")


@pytest.mark.parametrize("url", ["https://127.0.0.1/a.png", "https://[::ffff:127.0.0.1]/a.png",
                                 "https://169.254.169.254/latest/meta-data/"])
async def test_literal_private_addresses_are_refused(url):
    f = fetcher(lambda r: httpx.Response(200, content=PNG))
    with pytest.raises(FetchRefused):
        await f.fetch(url)
    assert f.seen == []


async def test_the_connection_is_pinned_to_the_validated_address_with_the_original_host():
    resolve = resolver_to(PUBLIC)
    f = fetcher(lambda r: httpx.Response(200, content=PNG), resolver=resolve)
    assert await f.fetch("https://cdn.example.com/img/a.png?sig=1") == PNG
    (request,) = f.seen
    assert request.url.host == PUBLIC and request.url.path == "/img/a.png"
    assert request.headers["host"] == "cdn.example.com"
    assert request.extensions["sni_hostname"] == "cdn.example.com"
    assert "authorization" not in request.headers and "cookie" not in request.headers
    assert resolve.calls == ["cdn.example.com"]


async def test_redirects_to_private_addresses_are_not_followed():
    def handler(request):
        return httpx.Response(302, headers={"location": "https://169.254.169.254/latest"})

    f = fetcher(handler)
    with pytest.raises(FetchRefused):
        await f.fetch("https://cdn.example.com/a.png")
    assert len(f.seen) == 1


async def test_redirects_are_revalidated_and_bounded():
    def handler(request):
        if request.url.path == "/start":
            return httpx.Response(302, headers={"location": "/final"})
        if request.url.path == "/final":
            return httpx.Response(200, content=PNG)
        return httpx.Response(302, headers={"location": "/loop"})

    f = fetcher(handler)
    assert await f.fetch("https://cdn.example.com/start") == PNG
    with pytest.raises(FetchRefused):
        await f.fetch("https://cdn.example.com/loop")


async def test_the_allow_list_matches_hosts_exactly():
    f = fetcher(lambda r: httpx.Response(200, content=PNG), allowed_hosts=("cdn.example.com",))
    assert await f.fetch("https://cdn.example.com/a.png") == PNG
    for url in ("https://cdn.example.com.evil.test/a.png", "https://evil.test/?cdn.example.com"):
        with pytest.raises(FetchRefused):
            await f.fetch(url)


async def test_bodies_over_the_cap_are_aborted_with_or_without_a_content_length():
    big = b"\x89PNG" + b"x" * 2000

    async def stream():
        for _ in range(10):
            yield b"x" * 500

    f = fetcher(lambda r: httpx.Response(200, content=big), max_bytes=1000)
    with pytest.raises(FetchRefused):
        await f.fetch("https://cdn.example.com/a.png")
    f = fetcher(lambda r: httpx.Response(200, content=stream()), max_bytes=1000)
    with pytest.raises(FetchRefused):
        await f.fetch("https://cdn.example.com/a.png")


async def test_error_statuses_and_timeouts_are_provider_errors():
    f = fetcher(lambda r: httpx.Response(503))
    with pytest.raises(ProviderError) as err:
        await f.fetch("https://cdn.example.com/a.png")
    assert err.value.retryable

    def slow(request):
        raise httpx.ReadTimeout("slow", request=request)

    with pytest.raises(ProviderError, match="timed out"):
        await fetcher(slow).fetch("https://cdn.example.com/a.png")


async def test_plain_http_to_loopback_only_when_the_test_setting_allows_it():
    f = fetcher(lambda r: httpx.Response(200, content=PNG), allow_http_loopback=True)
    assert await f.fetch("http://127.0.0.1:8123/a.png") == PNG
    with pytest.raises(FetchRefused):
        await f.fetch("http://localhost:8123/a.png")
    with pytest.raises(FetchRefused):
        await f.fetch("http://10.0.0.1/a.png")


async def test_a_slow_upstream_hits_the_total_deadline():
    import asyncio

    async def slow(request):
        await asyncio.sleep(30)
        return httpx.Response(200, content=PNG)

    with pytest.raises(ProviderError, match="timed out"):
        await fetcher(slow, timeout=0.1).fetch("https://cdn.example.com/a.png")
