"""A tiny time-bounded cache with single flight, for the hottest public read (gallery pages).

Identical requests arriving together share one query, and a page is reused for a second or
two: the first page of the catalogue is what every visitor asks for, and a counter shown a
moment late is harmless (toggles answer with fresh counts)."""

import time
from collections.abc import Awaitable, Callable, Hashable
from typing import Any

from lumi_shared.singleflight import SingleFlight


class PageCache:
    def __init__(self, ttl: float, *, max_entries: int = 512,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl, self.max_entries, self.clock = ttl, max_entries, clock
        self._entries: dict[Hashable, tuple[float, Any]] = {}
        self._flights = SingleFlight()

    async def get_or_load(self, key: Hashable, loader: Callable[[], Awaitable[Any]]) -> Any:
        if self.ttl <= 0:
            return await loader()
        hit = self._entries.get(key)
        if hit and hit[0] > self.clock():
            return hit[1]
        return await self._flights.run(key, lambda: self._load(key, loader))

    async def _load(self, key: Hashable, loader: Callable[[], Awaitable[Any]]) -> Any:
        value = await loader()
        now = self.clock()
        if len(self._entries) >= self.max_entries:
            self._entries = {k: v for k, v in self._entries.items() if v[0] > now}
            while len(self._entries) >= self.max_entries:
                self._entries.pop(next(iter(self._entries)))
        self._entries[key] = (now + self.ttl, value)
        return value

    def clear(self) -> None:
        self._entries.clear()
