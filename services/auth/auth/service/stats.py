"""User statistics owned by other services, fetched concurrently with a short timeout.

Stats are decoration: any failure (service down, slow, missing, malformed answer) gives
zeros for that service's numbers and never an error.
"""

import asyncio
from typing import Protocol

import httpx
import structlog

from lumi_shared.internal import InternalClient

from ..config import Settings

log = structlog.get_logger("lumi.auth.stats")

STAT_FIELDS: dict[str, tuple[str, ...]] = {
    "generation": ("totalRequests", "completedRequests", "failedRequests"),
    "modeling": ("totalModels", "publicModels", "privateModels"),
    "gallery": ("totalLikes", "totalFavorites", "totalViews", "totalDownloads",
                "likedModelsCount", "favoritedModelsCount"),
}


def zero_stats() -> dict[str, int]:
    return {name: 0 for names in STAT_FIELDS.values() for name in names}


class StatsSource(Protocol):
    async def for_user(self, user_id: str) -> dict[str, int]: ...
    async def aclose(self) -> None: ...


class InternalStats:
    def __init__(self, settings: Settings,
                 transport: httpx.AsyncBaseTransport | None = None) -> None:
        urls = {"generation": settings.GENERATION_URL, "modeling": settings.MODELING_URL,
                "gallery": settings.GALLERY_URL}
        self.timeout = settings.STATS_TIMEOUT
        self.clients = {
            owner: InternalClient(url, caller=settings.SERVICE_NAME,
                                  secret=settings.IDENTITY_SECRET, timeout=self.timeout,
                                  transport=transport)
            for owner, url in urls.items() if url
        }

    async def _one(self, owner: str, client: InternalClient, user_id: str) -> dict[str, int]:
        try:
            data = await asyncio.wait_for(client.get_data(f"/internal/users/{user_id}/stats"),
                                          self.timeout)
        except Exception as exc:
            log.info("stats_unavailable", owner=owner, error_type=type(exc).__name__)
            return {}
        if not isinstance(data, dict):
            return {}
        return {name: int(value) for name in STAT_FIELDS[owner]
                if isinstance(value := data.get(name), int | float)
                and not isinstance(value, bool) and value >= 0}

    async def for_user(self, user_id: str) -> dict[str, int]:
        stats = zero_stats()
        parts = await asyncio.gather(*(self._one(owner, client, user_id)
                                       for owner, client in self.clients.items()))
        for part in parts:
            stats.update(part)
        return stats

    async def aclose(self) -> None:
        await asyncio.gather(*(c.aclose() for c in self.clients.values()),
                             return_exceptions=True)


async def safe_stats(source: StatsSource, user_id: str) -> dict[str, int]:
    """Zeros when the source itself misbehaves (an injected one, a bug): never raise."""
    try:
        return {**zero_stats(), **await source.for_user(user_id)}
    except Exception as exc:
        log.warning("stats_failed", error_type=type(exc).__name__)
        return zero_stats()
