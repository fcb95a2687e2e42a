"""Owner names from auth: cached, chunked, and never an error when auth is down."""

import asyncio
import json

import httpx

from gallery.providers.users import AuthUserDirectory
from lumi_shared.identity import verify_identity
from lumi_shared.internal import InternalClient
from lumi_shared.settings import DEV_SECRET


def directory(handler, **kw) -> AuthUserDirectory:
    client = InternalClient("http://auth", caller="gallery", secret=DEV_SECRET,
                            transport=httpx.MockTransport(handler))
    return AuthUserDirectory(client, **kw)


async def test_lookup_asks_auth_with_a_service_identity_and_caches_the_answer():
    calls = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(json.loads(request.content)["ids"])
        assert verify_identity(request.headers["x-lumi-identity"], DEV_SECRET).role == "service"
        assert request.url.path == "/internal/users/lookup"
        return httpx.Response(200, json={"status": "success", "data": {
            "u1": {"id": "u1", "name": "Ada", "avatar": None, "email": "ada@example.com"}}})

    users = directory(handler)
    first = await users.lookup(["u1", "u2"])
    second = await users.lookup(["u2", "u1"])
    assert first == second == {"u1": {"id": "u1", "name": "Ada", "avatar": None}}
    assert calls == [["u1", "u2"]]  # unknown ids are cached too
    await users.aclose()


async def test_lookup_splits_more_than_one_hundred_ids_into_several_calls():
    sizes = []

    def handler(request: httpx.Request) -> httpx.Response:
        sizes.append(len(json.loads(request.content)["ids"]))
        return httpx.Response(200, json={"status": "success", "data": {}})

    await directory(handler).lookup([f"u{i}" for i in range(250)])
    assert sizes == [100, 100, 50]


async def test_auth_being_down_gives_no_names_and_backs_off_for_a_while():
    calls = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(1)
        raise httpx.ConnectError("refused")

    users = directory(handler, failure_backoff=60)
    assert await users.lookup(["u1"]) == {}
    assert await users.lookup(["u1"]) == {}
    assert len(calls) == 1


async def test_an_auth_error_status_falls_back_to_no_names():
    users = directory(lambda request: httpx.Response(503, json={"status": "error"}))
    assert await users.lookup(["u1"]) == {}


async def test_the_cache_never_holds_more_than_its_limit_even_when_nothing_expired():
    def handler(request: httpx.Request) -> httpx.Response:
        ids = json.loads(request.content)["ids"]
        return httpx.Response(200, json={"status": "success", "data": {
            i: {"id": i, "name": i, "avatar": None} for i in ids}})

    users = directory(handler, max_entries=150)
    for start in range(0, 1000, 100):
        await users.lookup([f"u{i}" for i in range(start, start + 100)])
        assert len(users._cache) <= 150
    assert "u999" in users._cache and "u0" not in users._cache  # the newest answers stay


async def test_concurrent_lookups_of_uncached_ids_share_one_call_to_auth():
    calls = []
    release = asyncio.Event()

    async def handler(request: httpx.Request) -> httpx.Response:
        calls.append(json.loads(request.content)["ids"])
        await release.wait()
        return httpx.Response(200, json={"status": "success", "data": {
            "u1": {"id": "u1", "name": "Ada", "avatar": None}}})

    users = directory(handler)
    first = asyncio.create_task(users.lookup(["u1"]))
    await asyncio.sleep(0.01)  # the first lookup's call to auth is under way
    waiting = [asyncio.create_task(users.lookup(["u1", "u2"])) for _ in range(50)]
    await asyncio.sleep(0.01)
    first.cancel()  # a caller that goes away does not take the shared fetch with it
    release.set()
    answers = await asyncio.gather(*waiting)
    assert all(a == {"u1": {"id": "u1", "name": "Ada", "avatar": None}} for a in answers)
    assert calls == [["u1"], ["u2"]]  # u1 once for everyone, u2 once (by the first waiter)
    assert users._inflight == {}
    await users.aclose()


async def test_misses_of_concurrent_lookups_go_to_auth_in_one_call():
    calls = []

    def handler(request: httpx.Request) -> httpx.Response:
        ids = json.loads(request.content)["ids"]
        calls.append(ids)
        return httpx.Response(200, json={"status": "success", "data": {
            i: {"id": i, "name": i.upper(), "avatar": None} for i in ids}})

    users = directory(handler)
    answers = await asyncio.gather(*(users.lookup([f"u{i}", "shared"]) for i in range(30)))
    assert [sorted(a) for a in answers] == [sorted([f"u{i}", "shared"]) for i in range(30)]
    assert len(calls) == 1 and sorted(calls[0]) == sorted([f"u{i}" for i in range(30)]
                                                          + ["shared"])
    await users.aclose()
