"""Documents of the gateway that lapse (SSE history, open-stream leases): each carries
`expiresAt`, set `ttl` after its last write, and a TTL index removes it once that has passed."""

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from lumi_shared.contracts.base import utcnow


class Lapsing:
    def __init__(self, collection: Any, ttl: float, clock: Callable[[], datetime] = utcnow) -> None:
        self.collection = collection
        self.ttl = timedelta(seconds=ttl)
        self.clock = clock

    async def ensure_indexes(self) -> None:
        await self.collection.create_index("expiresAt", expireAfterSeconds=0)
