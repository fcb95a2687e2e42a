"""Resolves the caller's session (cookie or `Authorization: Bearer`) at auth, with a short,
bounded cache that `SessionRevoked` evicts on every replica. Concurrent requests with the same
uncached token share one call to auth: a client opening 50 connections at once (or a busy
client whose entry just expired) asked auth 50 times, and the last answer came ~0.6 s late."""

import asyncio
import hashlib
import time
from collections import OrderedDict
from dataclasses import dataclass
from enum import Enum

import httpx
import structlog
from starlette.requests import Request

from lumi_shared.identity import Identity, bearer_token
from lumi_shared.internal import InternalClient
from lumi_shared.singleflight import SingleFlight

from .headers import header_map

log = structlog.get_logger("lumi.gateway.sessions")

NEGATIVE_TTL = 5.0


class CredentialSource(str, Enum):
    NONE = "none"
    HEADER = "header"
    COOKIE = "cookie"


@dataclass(frozen=True)
class Caller:
    identity: Identity | None
    source: CredentialSource
    invalid: bool = False        # a credential was sent but is unknown, expired or revoked
    unavailable: bool = False    # auth could not be asked


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def extract_token(request: Request, cookie_names: list[str]) -> tuple[str | None, CredentialSource]:
    headers = header_map(request)
    if token := bearer_token(headers.get("authorization")):
        return token, CredentialSource.HEADER
    if "cookie" not in headers:
        return None, CredentialSource.NONE
    for name in cookie_names:
        if token := request.cookies.get(name):
            return token, CredentialSource.COOKIE
    return None, CredentialSource.NONE


class SessionResolver:
    def __init__(self, auth: InternalClient, *, ttl: float, max_size: int) -> None:
        self.auth, self.ttl, self.max_size = auth, ttl, max_size
        self._cache: OrderedDict[str, tuple[Identity | None, float]] = OrderedDict()
        self._lookups = SingleFlight()
        self._revoked: set[asyncio.Task] = set()  # lookups whose session was evicted meanwhile

    def _remember(self, key: str, identity: Identity | None, ttl: float) -> None:
        self._cache[key] = (identity, time.monotonic() + ttl)
        self._cache.move_to_end(key)
        while len(self._cache) > self.max_size:
            self._cache.popitem(last=False)

    def evict(self, session_id: str) -> None:
        """Forget a revoked session, and never cache an answer about it still on its way."""
        self._cache.pop(session_id, None)
        if (lookup := self._lookups.forget(session_id)) is not None:
            self._revoked.add(lookup)

    async def resolve(self, token: str) -> tuple[Identity | None, bool]:
        """(identity or None, auth_reachable)."""
        key = token_hash(token)
        cached = self._cache.get(key)
        if cached and cached[1] > time.monotonic():
            return cached[0], True
        if len(token) > 512:
            return None, True
        return await self._lookups.run(key, lambda: self._ask_auth(key, token))

    async def _ask_auth(self, key: str, token: str) -> tuple[Identity | None, bool]:
        this = asyncio.current_task()
        try:
            identity, reachable, ttl = await self._lookup(token)
        finally:
            revoked = this in self._revoked
            self._revoked.discard(this)
        if ttl and not revoked:
            self._remember(key, identity, ttl)
        return identity, reachable

    async def _lookup(self, token: str) -> tuple[Identity | None, bool, float]:
        """(identity or None, auth reachable, how long the answer may be cached: 0 = not)."""
        try:
            response = await self.auth.request("POST", "/internal/sessions/resolve",
                                               json={"token": token})
        except httpx.HTTPError as exc:
            log.warning("session_lookup_failed", error=type(exc).__name__)
            return None, False, 0
        if response.status_code == 404:
            return None, True, NEGATIVE_TTL
        if response.status_code != 200:
            log.warning("session_lookup_failed", status_code=response.status_code)
            return None, False, 0
        data = response.json()["data"]
        return (Identity(data["user_id"], data.get("role") or "user", data.get("session_id")),
                True, self.ttl)

    async def caller(self, request: Request, cookie_names: list[str]) -> Caller:
        token, source = extract_token(request, cookie_names)
        if token is None:
            return Caller(None, source)
        identity, reachable = await self.resolve(token)
        return Caller(identity, source, invalid=reachable and identity is None,
                      unavailable=not reachable)
