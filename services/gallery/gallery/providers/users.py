"""Owner display names: auth's `POST /internal/users/lookup`, cached briefly.

A lookup never raises: when auth is down or slow the gallery shows fallback names, and stops
asking for a few seconds so a dead auth service does not add its timeout to every page.
Misses are fetched in batches: the misses of concurrent requests (those of one event-loop
iteration) go to auth in one call, and a lookup of an id already being fetched waits for that
call instead of asking again, so a cold or just-expired cache under load costs a few calls, not
one per request."""

import asyncio
import time
from collections import OrderedDict
from collections.abc import Sequence
from typing import Any, Protocol

import structlog

from lumi_shared.internal import InternalClient

log = structlog.get_logger("gallery.users")
MAX_IDS_PER_CALL = 100


class UserDirectory(Protocol):
    async def lookup(self, ids: Sequence[str]) -> dict[str, dict[str, Any]]:
        """`{id: {id, name, avatar}}` for the ids it knows; never raises."""

    async def aclose(self) -> None: ...


class NoUserDirectory:
    """No auth configured: every owner gets the fallback name."""

    async def lookup(self, ids: Sequence[str]) -> dict[str, dict[str, Any]]:
        return {}

    async def aclose(self) -> None:
        return None


class AuthUserDirectory:
    def __init__(self, client: InternalClient, *, ttl: float = 60.0,
                 failure_backoff: float = 5.0, max_entries: int = 10_000) -> None:
        self.client, self.ttl, self.failure_backoff = client, ttl, failure_backoff
        self.max_entries = max_entries
        self._cache: OrderedDict[str, tuple[float, dict[str, Any] | None]] = OrderedDict()
        self._down_until = 0.0
        self._inflight: dict[str, asyncio.Task[dict[str, dict[str, Any]]]] = {}
        self._batch: list[str] | None = None  # misses waiting for the next call to auth
        self._batch_task: asyncio.Task[dict[str, dict[str, Any]]] | None = None

    async def lookup(self, ids: Sequence[str]) -> dict[str, dict[str, Any]]:
        now = time.monotonic()
        found: dict[str, dict[str, Any]] = {}
        missing: list[str] = []
        fetches: set[asyncio.Task[dict[str, dict[str, Any]]]] = set()
        for user_id in dict.fromkeys(ids):
            cached = self._cache.get(user_id)
            if cached and cached[0] > now:
                if cached[1] is not None:
                    found[user_id] = cached[1]
            elif user_id in self._inflight:
                fetches.add(self._inflight[user_id])
            else:
                missing.append(user_id)
        if missing and now >= self._down_until:
            fetches.add(self._join_batch(missing))
        if fetches:
            wanted = set(ids)
            for fetch in fetches:  # shielded: a cancelled caller must not cancel the others'
                answer = await asyncio.shield(fetch)
                found.update((k, v) for k, v in answer.items() if k in wanted)
        return found

    def _join_batch(self, ids: list[str]) -> asyncio.Task[dict[str, dict[str, Any]]]:
        if self._batch is None:
            self._batch = []
            self._batch_task = asyncio.ensure_future(self._run_batch())
        self._batch.extend(ids)
        for user_id in ids:
            self._inflight[user_id] = self._batch_task
        return self._batch_task

    async def _run_batch(self) -> dict[str, dict[str, Any]]:
        await asyncio.sleep(0)  # the misses of this loop iteration's other requests join in
        ids, self._batch = self._batch or [], None
        this = asyncio.current_task()
        try:
            return await self._fetch(ids, time.monotonic())
        finally:
            for user_id in ids:
                if self._inflight.get(user_id) is this:
                    del self._inflight[user_id]

    async def _fetch(self, ids: list[str], now: float) -> dict[str, dict[str, Any]]:
        found: dict[str, dict[str, Any]] = {}
        try:
            for start in range(0, len(ids), MAX_IDS_PER_CALL):
                chunk = ids[start:start + MAX_IDS_PER_CALL]
                response = await self.client.request("POST", "/internal/users/lookup",
                                                     json={"ids": chunk})
                response.raise_for_status()
                data = response.json().get("data") or {}
                for user_id in chunk:
                    entry = data.get(user_id)
                    user = ({"id": user_id, "name": entry.get("name"),
                             "avatar": entry.get("avatar")} if isinstance(entry, dict) else None)
                    self._remember(user_id, (now + self.ttl, user))
                    if user:
                        found[user_id] = user
        except Exception as exc:  # auth down, slow or answering nonsense: fall back, never fail
            self._down_until = now + self.failure_backoff
            log.warning("user_lookup_failed", error=type(exc).__name__, ids=len(ids))
        return found

    def _remember(self, user_id: str, entry: tuple[float, dict[str, Any] | None]) -> None:
        """Newest answer last; beyond `max_entries` the oldest goes (it expires first)."""
        self._cache[user_id] = entry
        self._cache.move_to_end(user_id)
        while len(self._cache) > self.max_entries:
            self._cache.popitem(last=False)

    async def aclose(self) -> None:
        await self.client.aclose()
