"""The gateway's session cache: one lookup per uncached token, and a session revoked while its
lookup is on the way is not cached from that answer."""

import asyncio
import hashlib

import httpx

from gateway.sessions import SessionResolver
from lumi_shared.internal import InternalClient
from lumi_shared.settings import DEV_SECRET


def resolver(handler) -> SessionResolver:
    client = InternalClient("http://auth", caller="gateway", secret=DEV_SECRET,
                            transport=httpx.MockTransport(handler))
    return SessionResolver(client, ttl=30, max_size=100)


async def test_a_session_revoked_during_its_lookup_is_not_cached_from_that_answer():
    calls, release = [], asyncio.Event()
    session_id = hashlib.sha256(b"tok").hexdigest()

    async def handler(request: httpx.Request) -> httpx.Response:
        calls.append(1)
        if len(calls) == 1:
            await release.wait()
            return httpx.Response(200, json={"status": "success", "data": {
                "user_id": "u1", "role": "user", "session_id": session_id}})
        return httpx.Response(404, json={"status": "fail", "data": {"code": "NOT_FOUND"}})

    sessions = resolver(handler)
    first = asyncio.create_task(sessions.resolve("tok"))
    await asyncio.sleep(0.01)  # auth is answering the first lookup
    sessions.evict(session_id)  # SessionRevoked (or a logout) arrives meanwhile
    release.set()
    identity, reachable = await first
    assert identity is not None and identity.user_id == "u1" and reachable  # asked before
    assert await sessions.resolve("tok") == (None, True)  # asked again: revoked
    assert len(calls) == 2 and sessions._revoked == set()
    await sessions.auth.aclose()


async def test_answers_are_cached_and_unknown_tokens_briefly():
    calls = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(1)
        return httpx.Response(404, json={"status": "fail", "data": {"code": "NOT_FOUND"}})

    sessions = resolver(handler)
    assert await sessions.resolve("nope") == (None, True)
    assert await sessions.resolve("nope") == (None, True)
    assert calls == [1]
    await sessions.auth.aclose()
