"""Server-side downloads refuse internal addresses and bound what they read."""

import ipaddress

import httpx
import pytest

from modeling.fetch import (
    BlockedURL,
    FetchError,
    ImageLoader,
    SafeFetcher,
    address_denied,
    host_allowed,
)

PUBLIC_IP = "93.184.216.34"


def fetcher(handler, resolved=(PUBLIC_IP,), **kwargs) -> tuple[SafeFetcher, list]:
    lookups: list[str] = []

    async def resolver(host: str, port: int) -> list[str]:
        lookups.append(host)
        return list(resolved)

    return SafeFetcher(transport=httpx.MockTransport(handler), resolver=resolver,
                       **kwargs), lookups


def never(request: httpx.Request) -> httpx.Response:
    raise AssertionError(f"no connection expected, got {request.url}")


@pytest.mark.parametrize("url", [
    "https://127.0.0.1/", "https://localhost/", "https://[::1]/", "https://0.0.0.0/",
    "https://169.254.169.254/latest/meta-data/", "https://[fd00::1]/", "https://10.0.0.1/",
    "https://172.16.0.1/", "https://192.168.0.1/", "https://100.64.0.1/",
    "https://[::ffff:127.0.0.1]/", "https://[::ffff:a9fe:a9fe]/", "https://[64:ff9b::7f00:1]/",
    "https://[2002:7f00:1::]/",
])
async def test_internal_addresses_are_refused_without_a_connection(url):
    safe, _ = fetcher(never, resolved=("127.0.0.1",))
    with pytest.raises(BlockedURL):
        await safe.fetch(url, max_bytes=100)


@pytest.mark.parametrize("url", [
    "file:///etc/passwd", "gopher://x.test/", "ftp://x.test/", "http://x.test/",
    "https://user:pw@x.test/", "https://x.test@127.0.0.1/", "https://x.test:6379/",
    "https://x.test/a b", "https://x.test/\r\nHost: evil", "https:\\\\x.test\\a",
])
async def test_schemes_userinfo_ports_and_odd_characters_are_refused(url):
    safe, lookups = fetcher(never)
    with pytest.raises(BlockedURL):
        await safe.fetch(url, max_bytes=100)
    assert lookups == []


async def test_a_name_resolving_to_any_internal_address_is_refused():
    safe, _ = fetcher(never, resolved=(PUBLIC_IP, "10.1.2.3"))
    with pytest.raises(BlockedURL):
        await safe.fetch("https://mixed.test/a.png", max_bytes=100)


async def test_the_connection_goes_to_the_validated_address_with_the_original_host():
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, content=b"data")

    safe, lookups = fetcher(handler)
    assert await safe.fetch("https://cdn.test/x/a.png?sig=1", max_bytes=100) == b"data"
    request = seen[0]
    assert request.url.host == PUBLIC_IP and request.url.path == "/x/a.png"
    assert request.headers["host"] == "cdn.test"
    assert request.extensions["sni_hostname"] == "cdn.test"
    assert lookups == ["cdn.test"]


async def test_redirects_are_validated_again_and_internal_targets_refused():
    def handler(request: httpx.Request) -> httpx.Response:
        if request.headers["host"] == "cdn.test":
            return httpx.Response(302, headers={"location": "https://127.0.0.1/secret"})
        raise AssertionError("followed a redirect to an internal address")

    safe, _ = fetcher(handler)
    with pytest.raises(BlockedURL):
        await safe.fetch("https://cdn.test/a.png", max_bytes=100)


async def test_an_allowed_redirect_is_followed():
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/old":
            return httpx.Response(301, headers={"location": "/new"})
        return httpx.Response(200, content=b"moved")

    safe, _ = fetcher(handler)
    assert await safe.fetch("https://cdn.test/old", max_bytes=100) == b"moved"


async def test_bodies_over_the_cap_are_aborted_whatever_the_declared_length():
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/declared":
            return httpx.Response(200, content=b"x" * 1000)
        return httpx.Response(200, headers={"content-length": "10"},
                              stream=httpx.ByteStream(b"x" * 1000))

    safe, _ = fetcher(handler)
    for path in ("/declared", "/lying"):
        with pytest.raises(FetchError, match="too large") as info:
            await safe.fetch(f"https://cdn.test{path}", max_bytes=100)
        assert info.value.retryable is False


async def test_http_errors_say_whether_a_retry_can_help():
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(int(request.url.path.strip("/")))

    safe, _ = fetcher(handler)
    with pytest.raises(FetchError) as not_found:
        await safe.fetch("https://cdn.test/404", max_bytes=100)
    with pytest.raises(FetchError) as unavailable:
        await safe.fetch("https://cdn.test/503", max_bytes=100)
    assert not not_found.value.retryable and unavailable.value.retryable


def test_the_allow_list_matches_whole_labels_only():
    allowed = (".myqcloud.com", "exact.test")
    assert host_allowed("bucket.cos.myqcloud.com", allowed)
    assert host_allowed("myqcloud.com", allowed) and host_allowed("exact.test", allowed)
    assert not host_allowed("evilmyqcloud.com", allowed)
    assert not host_allowed("x.myqcloud.com.evil.test", allowed)
    assert not host_allowed("sub.exact.test", allowed)


async def test_a_host_off_the_allow_list_is_refused():
    safe, lookups = fetcher(never, allowed_hosts=(".tencentcos.cn",))
    with pytest.raises(BlockedURL):
        await safe.fetch("https://x.tencentcos.cn.evil.test/a", max_bytes=10)
    assert lookups == []


def test_the_deny_list_unwraps_embedded_ipv4_addresses():
    assert address_denied(ipaddress.ip_address("::ffff:10.0.0.1"))
    assert address_denied(ipaddress.ip_address("64:ff9b::a9fe:a9fe"))
    assert not address_denied(ipaddress.ip_address(PUBLIC_IP))
    assert not address_denied(ipaddress.ip_address("2606:4700::1111"))


class FakeStorage:
    def __init__(self) -> None:
        self.objects = {"images/t/0.png": b"\x89PNG\r\n\x1a\n..."}

    def url(self, key: str) -> str:
        return f"https://files.example/files/{key}"

    async def get(self, key: str) -> bytes:
        if key not in self.objects:
            raise FileNotFoundError(key)
        return self.objects[key]


async def test_the_image_loader_reads_our_own_urls_from_storage_without_a_request():
    loader = ImageLoader(FakeStorage(), fetcher(never)[0], max_bytes=1000)
    assert (await loader.load("https://files.example/files/images/t/0.png")).startswith(
        b"\x89PNG")
    with pytest.raises(BlockedURL):
        await loader.load("https://files.example/files/images/../../secret")
    with pytest.raises(FetchError) as missing:
        await loader.load("https://files.example/files/images/t/9.png")
    assert not missing.value.retryable


async def test_the_image_loader_refuses_bodies_that_are_not_images():
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=b"<html>hello</html>")

    loader = ImageLoader(FakeStorage(), fetcher(handler)[0], max_bytes=1000)
    with pytest.raises(FetchError, match="not a PNG"):
        await loader.load("https://elsewhere.test/a.png")
