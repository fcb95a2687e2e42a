"""Use cases of the asset proxy: fetch an allowed remote image or model through
`lumi_shared.fetch.SafeFetcher` (its docstring states the SSRF policy) and shape what is served.

Errors: no or a malformed URL -> 400; a URL the policy refuses (host not on this endpoint's
allow-list, scheme, port, userinfo, private address, a redirect to any of those) -> 403; the
upstream failing, timing out, answering too much or not the expected kind of file -> 502; a
broken or oversized ZIP -> 400 (as the old backend answered)."""

import asyncio
from dataclasses import dataclass
from urllib.parse import urlsplit

import structlog

from lumi_shared.archive import ArchiveError, ArchiveLimits
from lumi_shared.errors import Forbidden, UpstreamError, ValidationFailed
from lumi_shared.fetch import BlockedURL, FetchError, SafeFetcher

from . import content

log = structlog.get_logger("lumi.gateway.assets")
MAX_URL = 4096
IMAGE_PATH, MODEL_PATH = "/api/proxy/image", "/api/proxy/model"


@dataclass(frozen=True)
class Asset:
    body: bytes
    content_type: str
    filename: str | None = None  # models: served as an attachment of this name


@dataclass(frozen=True)
class AssetPolicy:
    image_hosts: tuple[str, ...]
    model_hosts: tuple[str, ...]
    image_max_bytes: int
    model_max_bytes: int
    archive: ArchiveLimits
    proxy_base_url: str = ""  # absolute base for rewritten MTL references; "" = same origin


class RemoteAssets:
    def __init__(self, fetcher: SafeFetcher, policy: AssetPolicy) -> None:
        self.fetcher, self.policy = fetcher, policy

    async def _get(self, url: str | None, hosts: tuple[str, ...], max_bytes: int,
                   kind: str) -> bytes:
        if not url:
            raise ValidationFailed(f"Missing {kind} URL parameter")
        try:
            parts = urlsplit(url)
            parts.port  # noqa: B018 - a malformed port raises here
        except ValueError:
            raise ValidationFailed("Invalid URL format") from None
        if len(url) > MAX_URL or not parts.scheme or not parts.netloc:
            raise ValidationFailed("Invalid URL format")
        if not hosts:
            raise Forbidden("The proxy has no allowed hosts configured")
        try:
            return await self.fetcher.fetch(url, max_bytes=max_bytes, allowed_hosts=hosts)
        except BlockedURL as exc:
            log.warning("asset_proxy_refused", kind=kind, host=parts.hostname, reason=str(exc))
            raise Forbidden(f"URL not allowed: {str(exc).removeprefix('URL refused: ')}") from None
        except FetchError as exc:
            log.warning("asset_proxy_upstream_failed", kind=kind, host=parts.hostname,
                        reason=str(exc))
            raise UpstreamError(f"Failed to fetch {kind} file: {exc}",
                                details={"reason": str(exc)}) from None

    async def image(self, url: str | None) -> Asset:
        data = await self._get(url, self.policy.image_hosts, self.policy.image_max_bytes, "image")
        kind = content.image_type(data)
        if kind is None:
            raise UpstreamError("Failed to fetch image file: not a PNG, JPEG, GIF or WebP image")
        return Asset(data, kind)

    async def model(self, url: str | None) -> Asset:
        data = await self._get(url, self.policy.model_hosts, self.policy.model_max_bytes, "model")
        url = url or ""
        name = content.download_name(urlsplit(url).path, "model")
        if content.is_archive(url, data):
            try:
                entry = await asyncio.to_thread(content.first_model_entry, data,
                                                self.policy.archive)
            except ArchiveError as exc:
                raise ValidationFailed(f"ZIP file could not be extracted: {exc}") from None
            if entry is None:
                raise ValidationFailed("ZIP file contains no OBJ, GLB or glTF model")
            name, data = entry
        elif content.url_extension(url) == "mtl":
            proxy = f"{self.policy.proxy_base_url.rstrip('/')}{MODEL_PATH}"
            data = content.rewrite_mtl(data, url, proxy)
        return Asset(data, content.model_type(name), filename=name)
