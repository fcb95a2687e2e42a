"""Single flight: concurrent callers asking for the same key share one call.

The call runs as its own task; each caller awaits it shielded, so a caller that goes away
(a client disconnects) does not cancel the answer the others wait for. The key is free again
once the call has finished."""

import asyncio
from collections.abc import Awaitable, Callable, Hashable
from typing import Any


class SingleFlight:
    def __init__(self) -> None:
        self._running: dict[Hashable, asyncio.Task] = {}

    async def run(self, key: Hashable, call: Callable[[], Awaitable[Any]]) -> Any:
        task = self._running.get(key)
        if task is None:
            task = self._running[key] = asyncio.ensure_future(call())
            task.add_done_callback(
                lambda done: self._running.pop(key) if self._running.get(key) is done else None)
        return await asyncio.shield(task)

    def forget(self, key: Hashable) -> asyncio.Task | None:
        """The running call of `key`, no longer shared with later callers (None: no call)."""
        return self._running.pop(key, None)
