"""SSRF cases of reliability-security-plan §3.6 against the proxy, with the production address
policy and resolver: every one is refused (400/403) and the local listener, which any request
that got through would reach (the transport sends every connection there), accepts none."""

import httpx
import pytest

from gateway.config import Settings
from gateway.main import create_app
from lumi_shared.fetch import SafeFetcher
from lumi_shared.testing import running

from .test_asset_proxy import PNG, Listener

LITERALS = ["127.0.0.1", "localhost", "[::1]", "0.0.0.0", "[::]", "169.254.169.254", "[fd00::1]",
            "10.0.0.1", "172.16.0.1", "192.168.0.1", "100.64.0.1", "[::ffff:127.0.0.1]",
            "[::ffff:a9fe:a9fe]", "[64:ff9b::7f00:1]", "2130706433", "0x7f000001", "0177.0.0.1",
            "127.1", "127.000.000.001"]
CONFUSED = [
    "file:///etc/passwd", "gopher://allowed.example/", "ftp://allowed.example/",
    "dict://allowed.example:11211/", "https://allowed.example@127.0.0.1/",
    "https://127.0.0.1#@allowed.example", "https://allowed.example.evil.test/",
    "https://evil.test/?x=allowed.example", "https://allowed.example\\@127.0.0.1/",
    "https:\\\\127.0.0.1\\a.png", "https://127.0.0.1/%2e%2e/%2e%2e/etc/passwd",
    "https://\u0430llowed.example/", "https://allowed.example/a b.png",
    "https://allowed.example/a.png\r\nHost: 127.0.0.1", " https://127.0.0.1/",
    "https://allowed.example:6379/", "https://allowed.example:5672/",
    "https://allowed.example:27017/", "https://allowed.example:15672/",
    "http://allowed.example/a.png"]
# Allow-lists naming the literal hosts themselves, so the address policy is what refuses them.
WIDE = ",".join(h.strip("[]") for h in LITERALS) + ",allowed.example"


class ToListener(httpx.AsyncBaseTransport):
    def __init__(self, port: int) -> None:
        self.port, self.inner = port, httpx.AsyncHTTPTransport(retries=0)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        request.url = request.url.copy_with(scheme="http", host="127.0.0.1", port=self.port)
        return await self.inner.handle_async_request(request)


@pytest.fixture
async def listener():
    listener = Listener()
    async with listener.serving():
        yield listener


def gateway(tmp_path, fetcher, hosts: str):
    settings = Settings(LUMI_ENV="test", LUMI_DATA_DIR=tmp_path, PROXY_IMAGE_HOSTS=hosts,
                        PROXY_MODEL_HOSTS=hosts)
    return create_app(settings, fetcher=fetcher)


async def test_the_listener_would_see_a_request_that_got_through(tmp_path, listener):
    fetcher = SafeFetcher(transport=ToListener(listener.port), address_policy=lambda a: False,
                          timeout=2)
    async with running(gateway(tmp_path, fetcher, WIDE)) as client:
        answer = await client.get("/api/proxy/image", params={"url": "https://127.0.0.1/x.png"})
    assert answer.status_code == 502 and listener.accepted == 1


@pytest.mark.parametrize("hosts", [WIDE, Settings.model_fields["PROXY_IMAGE_HOSTS"].default])
async def test_every_ssrf_case_is_refused_without_a_connection(tmp_path, listener, hosts):
    urls = [f"{scheme}://{host}{suffix}" for host in LITERALS
            for scheme, suffix in (("https", "/latest/meta-data/"), ("http", f":{listener.port}/"))]
    fetcher = SafeFetcher(transport=ToListener(listener.port), timeout=2)
    async with running(gateway(tmp_path, fetcher, hosts)) as client:
        for url in urls + CONFUSED:
            for kind in ("image", "model"):
                answer = await client.get(f"/api/proxy/{kind}", params={"url": url})
                assert answer.status_code in (400, 403), (url, answer.status_code, answer.text)
                assert answer.json()["status"] == "fail"
    assert listener.accepted == 0


async def test_dns_rebinding_connects_only_to_the_validated_address(tmp_path):
    lookups: list[str] = []
    seen: list[str] = []

    async def rebinding(host: str, port: int) -> list[str]:
        lookups.append(host)
        return ["93.184.216.34"] if len(lookups) == 1 else ["127.0.0.1"]

    def upstream(request: httpx.Request) -> httpx.Response:
        seen.append(request.url.host)
        return httpx.Response(200, content=PNG)

    fetcher = SafeFetcher(transport=httpx.MockTransport(upstream), resolver=rebinding)
    async with running(gateway(tmp_path, fetcher, ".myqcloud.com")) as client:
        ok = await client.get("/api/proxy/image", params={"url": "https://a.myqcloud.com/x.png"})
        assert ok.status_code == 200 and seen == ["93.184.216.34"] and len(lookups) == 1
        again = await client.get("/api/proxy/image", params={"url": "https://a.myqcloud.com/x.png"})
        assert again.status_code == 403 and seen == ["93.184.216.34"]


async def test_a_name_resolving_to_a_mixed_set_is_refused(tmp_path):
    seen: list[httpx.Request] = []

    async def mixed(host: str, port: int) -> list[str]:
        return ["93.184.216.34", "10.0.0.7"]

    fetcher = SafeFetcher(transport=httpx.MockTransport(lambda r: seen.append(r)), resolver=mixed)
    async with running(gateway(tmp_path, fetcher, ".myqcloud.com")) as client:
        answer = await client.get("/api/proxy/model", params={"url": "https://a.myqcloud.com/m.obj"})
    assert answer.status_code == 403 and seen == []
