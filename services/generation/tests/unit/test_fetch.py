"""GuardedFetcher reports the shared download policy's failures as provider errors; the
policy itself is tested in shared/tests/test_fetch.py."""

import httpx
import pytest

from generation.providers.base import ProviderError
from generation.providers.fetch import FetchRefused, GuardedFetcher

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def fetcher(handler, **kw):
    seen = []

    async def resolve(host, port):
        return ["93.184.216.34"]

    def record(request):
        seen.append(request)
        return handler(request)

    f = GuardedFetcher(transport=httpx.MockTransport(record), resolver=resolve, **kw)
    f.seen = seen
    return f


@pytest.mark.parametrize("url", ["http://cdn.example.com/a.png", "https://127.0.0.1/a.png",
                                 "https://cdn.example.com.evil.test/a.png"])
async def test_refused_urls_are_final_provider_errors(url):
    f = fetcher(lambda r: httpx.Response(200, content=PNG), allowed_hosts=("cdn.example.com",))
    with pytest.raises(FetchRefused, match="^Result URL refused: ") as err:
        await f.fetch(url)
    assert not err.value.retryable and f.seen == []


async def test_the_result_is_fetched_as_an_image_within_the_configured_cap():
    f = fetcher(lambda r: httpx.Response(200, content=PNG), max_bytes=len(PNG))
    assert await f.fetch("https://cdn.example.com/a.png") == PNG
    assert f.seen[0].headers["accept"] == "image/*"
    f = fetcher(lambda r: httpx.Response(200, content=PNG), max_bytes=len(PNG) - 1)
    with pytest.raises(FetchRefused, match="too large"):
        await f.fetch("https://cdn.example.com/a.png")


async def test_error_statuses_and_timeouts_are_provider_errors():
    f = fetcher(lambda r: httpx.Response(503))
    with pytest.raises(ProviderError) as err:
        await f.fetch("https://cdn.example.com/a.png")
    assert err.value.retryable and not isinstance(err.value, FetchRefused)

    def slow(request):
        raise httpx.ReadTimeout("slow", request=request)

    with pytest.raises(ProviderError, match="timed out") as err:
        await fetcher(slow).fetch("https://cdn.example.com/a.png")
    assert err.value.retryable


async def test_plain_http_to_loopback_only_when_the_test_setting_allows_it():
    f = fetcher(lambda r: httpx.Response(200, content=PNG), allow_http_loopback=True)
    assert await f.fetch("http://127.0.0.1:8123/a.png") == PNG
    with pytest.raises(FetchRefused, match="https required"):
        await fetcher(lambda r: httpx.Response(200)).fetch("http://127.0.0.1:8123/a.png")
