"""A tiny time-bounded cache with single flight, for the hottest public read (gallery pages).

Identical requests arriving together share one query, and a page is reused for a second or
two: the first page of the catalogue is what every visitor asks for, and a counter shown a
moment late is harmless (toggles answer with fresh counts)."""

import asyncio
import time
from collections.abc import Awaitable, Callable, Hashable
from typing import Any


class PageCache:
    def __init__(self, ttl: float, *, max_entries: int = 512,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl, self.max_entries, self.clock = ttl, max_entries, clock
        self._entries: dict[Hashable, tuple[float, Any]] = {}
        self._inflight: dict[Hashable, asyncio.Task] = {}

    async def get_or_load(self, key: Hashable, loader: Callable[[], Awaitable[Any]]) -> Any:
        if self.ttl <= 0:
            return await loader()
        hit = self._entries.get(key)
        if hit and hit[0] > self.clock():
            return hit[1]
        task = self._inflight.get(key)
        if task is None:
            task = asyncio.ensure_future(loader())
            self._inflight[key] = task
            task.add_done_callback(lambda done, k=key: self._settle(k, done))
        # shield: a caller that goes away must not cancel the query the others wait for
        return await asyncio.shield(task)

    def _settle(self, key: Hashable, task: asyncio.Task) -> None:
        self._inflight.pop(key, None)
        if task.cancelled() or task.exception() is not None:
            return
        now = self.clock()
        if len(self._entries) >= self.max_entries:
            self._entries = {k: v for k, v in self._entries.items() if v[0] > now}
            while len(self._entries) >= self.max_entries:
                self._entries.pop(next(iter(self._entries)))
        self._entries[key] = (now + self.ttl, task.result())

    def clear(self) -> None:
        self._entries.clear()
