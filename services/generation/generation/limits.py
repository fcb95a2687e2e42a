"""Abuse limits for every generation a user starts (tasks and studio generations alike):
a per-user rate limit (sliding window) and a per-user cap on generations in flight.

The cap is one document per user holding the ids of its generations in flight; a slot is
taken by one conditional `$addToSet` (only while the list is shorter than the cap), so
concurrent requests cannot overshoot it. Slots are never released explicitly: when the list
is full, ids whose generation is no longer in flight are pruned and the claim is tried again.
"""

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from pymongo.errors import DuplicateKeyError

from lumi_shared.errors import RateLimited
from lumi_shared.ratelimit import Limit, RateLimiter

InFlight = Callable[[list[str]], Awaitable[set[str]]]


class GenerationLimits:
    def __init__(self, slots: Any, rates: Any, *, max_in_flight: int, per_minute: int,
                 in_flight: list[InFlight],
                 clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self.slots, self.limiter = slots, RateLimiter(rates)
        self.max_in_flight, self.rule = max_in_flight, Limit("generation", per_minute, 60)
        self.in_flight, self.clock = in_flight, clock

    async def ensure_indexes(self) -> None:
        await self.limiter.ensure_indexes()

    async def admit(self, user_id: str, generation_id: str) -> None:
        """Raise `RateLimited` (429 + Retry-After) or take an in-flight slot."""
        if self.rule.limit > 0:
            await self.limiter.hit(self.rule, user_id, self.clock(),
                                   "Too many generations started, please slow down")
        if self.max_in_flight <= 0:
            return
        for _ in range(2):
            if await self._claim(user_id, generation_id):
                return
            if not await self._prune(user_id):
                break
        raise RateLimited(f"At most {self.max_in_flight} generations may run at once; "
                          "wait for one to finish", retry_after=10)

    async def _claim(self, user_id: str, generation_id: str) -> bool:
        query = {"_id": user_id, f"active.{self.max_in_flight - 1}": {"$exists": False}}
        try:
            done = await self.slots.update_one(query, {"$addToSet": {"active": generation_id}},
                                               upsert=True)
        except DuplicateKeyError:  # the document exists and its list is full
            return False
        return bool(done.matched_count or done.upserted_id is not None)

    async def _prune(self, user_id: str) -> bool:
        doc = await self.slots.find_one({"_id": user_id})
        active = list((doc or {}).get("active", []))
        alive: set[str] = set()
        for lookup in self.in_flight:
            alive |= await lookup(active)
        dead = [i for i in active if i not in alive]
        for generation_id in dead:
            await self.slots.update_one({"_id": user_id}, {"$pull": {"active": generation_id}})
        return bool(dead)


def tasks_in_flight(tasks: Any, active_statuses: tuple[str, ...]) -> InFlight:
    """Which of `ids` are tasks whose images are still being made."""
    async def lookup(ids: list[str]) -> set[str]:
        docs = await tasks.find({"_id": {"$in": ids}, "deletedAt": None,
                                 "status": {"$in": [str(s) for s in active_statuses]}},
                                {"_id": 1}).to_list()
        return {d["_id"] for d in docs}
    return lookup
