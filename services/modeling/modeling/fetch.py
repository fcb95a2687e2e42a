"""The source-image loader. Downloads go through `lumi_shared.fetch.SafeFetcher`, whose
module docstring states the SSRF policy (https, no userinfo, default ports, allow-list,
deny-listed addresses, pinned connection, re-validated redirects, capped body, timeout).
"""

from urllib.parse import unquote, urlsplit

from lumi_shared.fetch import BlockedURL, FetchError, SafeFetcher

IMAGE_MAGIC = (b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"GIF87a", b"GIF89a")


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
