"""Files that come from outside: the provider's result images (only from configured provider
hosts) and the user's reference images, both downloaded through `lumi_shared.fetch` and
re-encoded as PNG into our storage, so nothing we show points at a third party."""

import asyncio
import io
from typing import Any

from PIL import Image, UnidentifiedImageError

from lumi_shared.fetch import BlockedURL, FetchError, SafeFetcher
from lumi_shared.storage import ObjectStorage

from .domain import Status

MAX_PIXELS = 40_000_000


class BadImage(FetchError):
    def __init__(self) -> None:
        super().__init__("the file is not a readable image", retryable=False)


def _as_png(data: bytes) -> bytes:
    try:
        with Image.open(io.BytesIO(data)) as img:
            if img.width * img.height > MAX_PIXELS:
                raise BadImage()
            img.load()
            out = io.BytesIO()
            img.convert("RGBA" if img.mode in ("RGBA", "LA", "P") else "RGB").save(out, "PNG")
            return out.getvalue()
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError):
        raise BadImage() from None


class ImageCopier:
    def __init__(self, storage: ObjectStorage, fetcher: SafeFetcher, *, max_bytes: int,
                 allowed_hosts: tuple[str, ...]) -> None:
        self.storage, self.fetcher = storage, fetcher
        self.max_bytes, self.allowed_hosts = max_bytes, allowed_hosts

    def check(self, urls: list[str]) -> None:
        """BlockedURL unless every URL is well-formed and on an allowed host."""
        for url in urls:
            self.fetcher.validate(url, self.allowed_hosts)

    async def copy(self, url: str, key: str) -> str:
        data = await self.fetcher.fetch(url, max_bytes=self.max_bytes,
                                        allowed_hosts=self.allowed_hosts)
        return await self.storage.put(key, await asyncio.to_thread(_as_png, data), "image/png")

    async def copy_results(self, generation_id: str, urls: list[str]) -> list[dict[str, Any]]:
        self.check(urls)
        stored = await asyncio.gather(*(self.copy(url, f"studio/{generation_id}/{i}.png")
                                        for i, url in enumerate(urls)))
        return [{"uuid": f"{generation_id}-{i}", "index": i, "url": url}
                for i, url in enumerate(stored)]


def final_fetch_failure(exc: FetchError) -> bool:
    return isinstance(exc, BlockedURL) or not exc.retryable


__all__ = ["BlockedURL", "FetchError", "ImageCopier", "Status", "final_fetch_failure"]
