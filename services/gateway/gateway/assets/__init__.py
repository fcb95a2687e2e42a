"""The image and model proxy (api-contract §1.7): `api` routes, `service` use cases,
`content` (types, ZIP entry, MTL rewriting)."""

from lumi_shared.archive import ArchiveLimits
from lumi_shared.fetch import SafeFetcher

from .api import router
from .service import AssetPolicy, RemoteAssets

__all__ = ["router", "RemoteAssets", "AssetPolicy", "create_assets"]


def create_assets(settings, fetcher: SafeFetcher | None = None) -> RemoteAssets:
    """`fetcher`: tests inject one whose address policy admits their loopback upstream."""
    fetcher = fetcher or SafeFetcher(timeout=settings.PROXY_TIMEOUT,
                                     connect_timeout=settings.PROXY_CONNECT_TIMEOUT,
                                     max_redirects=settings.PROXY_MAX_REDIRECTS)
    return RemoteAssets(fetcher, AssetPolicy(
        image_hosts=settings.host_list(settings.PROXY_IMAGE_HOSTS),
        model_hosts=settings.host_list(settings.PROXY_MODEL_HOSTS),
        image_max_bytes=settings.PROXY_IMAGE_MAX_BYTES,
        model_max_bytes=settings.PROXY_MODEL_MAX_BYTES,
        archive=ArchiveLimits(max_entries=settings.PROXY_ZIP_MAX_ENTRIES,
                              max_total=settings.PROXY_ZIP_MAX_BYTES,
                              max_entry=settings.PROXY_ZIP_MAX_BYTES),
        proxy_base_url=settings.PROXY_BASE_URL))
