"""Sliding-window limits shared by every replica: one document per bucket and key holding the
times of its most recent events (at most `limit + 1` of them).

A fixed hourly window lets a burst straddle the boundary (5 at 12:59 and 5 more at 13:00);
here an event is refused when more than `limit` events, itself included, fall in the
`window_seconds` before it. Recording is one atomic `$push` with `$slice`, so concurrent
requests cannot both slip under the limit. Refused events are recorded too: hammering a
limit keeps it closed.
"""

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from .errors import RateLimited
from .mongo import upsert_returning


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

    async def hit(self, rule: Limit, key: str, now: datetime, message: str) -> None:
        """Record one event; raise `RateLimited` (with Retry-After) past the limit."""
        doc_id, ts = f"{rule.bucket}:{key}", now.timestamp()
        update = {"$push": {"events": {"$each": [ts], "$slice": -(rule.limit + 1)}},
                  "$max": {"expires_at": now + timedelta(seconds=rule.window_seconds)}}
        doc = await upsert_returning(self.collection, {"_id": doc_id}, update)
        _refuse_if_over(rule, doc["events"], ts, rule.limit, message)

    async def check(self, rule: Limit, key: str, now: datetime, message: str) -> None:
        """Raise `RateLimited` when the window is already full, without recording."""
        doc = await self.collection.find_one({"_id": f"{rule.bucket}:{key}"})
        _refuse_if_over(rule, doc["events"] if doc else [], now.timestamp(), rule.limit - 1,
                        message)


def _refuse_if_over(rule: Limit, events: list[float], now: float, allowed: int,
                    message: str) -> None:
    recent = sorted(t for t in events if now - rule.window_seconds < t <= now)
    if len(recent) > allowed:
        # open again once at most limit - 1 of the recorded events are left in the window
        leaves = recent[len(recent) - rule.limit]
        raise RateLimited(message, retry_after=_seconds_until(leaves + rule.window_seconds, now))


def _seconds_until(moment: float, now: float) -> int:
    return max(1, math.ceil(moment - now))
