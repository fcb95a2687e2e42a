"""Fixed-window counters shared by every replica (one document per bucket, key and window)."""

import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from lumi_shared.errors import RateLimited
from lumi_shared.mongo import upsert_returning


@dataclass(frozen=True)
class Limit:
    bucket: str
    limit: int
    window_seconds: int


class RateLimiter:
    def __init__(self, collection: Any) -> None:
        self.collection = collection

    async def ensure_indexes(self) -> None:
        await self.collection.create_index("expires_at", expireAfterSeconds=0)

    @staticmethod
    def _window(rule: Limit, key: str, now: datetime) -> tuple[str, datetime]:
        start = math.floor(now.timestamp() / rule.window_seconds) * rule.window_seconds
        end = datetime.fromtimestamp(start + rule.window_seconds, UTC)
        return f"{rule.bucket}:{key}:{start}", end

    async def hit(self, rule: Limit, key: str, now: datetime, message: str) -> None:
        """Count one event; raise `RateLimited` (with Retry-After) past the limit."""
        doc_id, end = self._window(rule, key, now)
        update = {"$inc": {"count": 1}, "$setOnInsert": {"expires_at": end}}
        doc = await upsert_returning(self.collection, {"_id": doc_id}, update)
        if doc["count"] > rule.limit:
            raise RateLimited(message, retry_after=_seconds_until(end, now))

    async def check(self, rule: Limit, key: str, now: datetime, message: str) -> None:
        """Raise `RateLimited` when the window is already full, without counting."""
        doc_id, end = self._window(rule, key, now)
        doc = await self.collection.find_one({"_id": doc_id})
        if doc and doc["count"] >= rule.limit:
            raise RateLimited(message, retry_after=_seconds_until(end, now))


def _seconds_until(moment: datetime, now: datetime) -> int:
    return max(1, math.ceil((moment - now) / timedelta(seconds=1)))
