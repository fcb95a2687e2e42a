"""The image loader reads our own URLs from storage and only accepts images; the download
policy itself is tested in shared/tests/test_fetch.py."""

import httpx
import pytest

from lumi_shared.fetch import BlockedURL, FetchError, SafeFetcher
from modeling.fetch import ImageLoader


def fetcher(handler) -> SafeFetcher:
    async def resolver(host: str, port: int) -> list[str]:
        return ["93.184.216.34"]

    return SafeFetcher(transport=httpx.MockTransport(handler), resolver=resolver)


def never(request: httpx.Request) -> httpx.Response:
    raise AssertionError(f"no connection expected, got {request.url}")


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
    loader = ImageLoader(FakeStorage(), fetcher(never), max_bytes=1000)
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

    loader = ImageLoader(FakeStorage(), fetcher(handler), max_bytes=1000)
    with pytest.raises(FetchError, match="not a PNG"):
        await loader.load("https://elsewhere.test/a.png")
