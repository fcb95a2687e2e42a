"""Owner display names: auth's `POST /internal/users/lookup`, cached briefly.

A lookup never raises: when auth is down or slow the gallery shows fallback names, and stops
asking for a few seconds so a dead auth service does not add its timeout to every page."""

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

    async def lookup(self, ids: Sequence[str]) -> dict[str, dict[str, Any]]:
        now = time.monotonic()
        found: dict[str, dict[str, Any]] = {}
        missing: list[str] = []
        for user_id in dict.fromkeys(ids):
            cached = self._cache.get(user_id)
            if cached and cached[0] > now:
                if cached[1] is not None:
                    found[user_id] = cached[1]
            else:
                missing.append(user_id)
        if missing and now >= self._down_until:
            found.update(await self._fetch(missing, now))
        return found

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
