"""Stats from the owning services: merged, and zeros on any failure."""

import asyncio

import httpx

from auth.service.stats import InternalStats, safe_stats, zero_stats
from lumi_shared.identity import verify_identity

URLS = {"GENERATION_URL": "http://generation", "MODELING_URL": "http://modeling",
        "GALLERY_URL": "http://gallery"}


def _transport(handler) -> httpx.MockTransport:
    return httpx.MockTransport(handler)


async def test_stats_are_merged_from_the_three_owners(settings_factory):
    settings = settings_factory(**URLS)
    seen = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append((request.url.host, request.url.path))
        identity = verify_identity(request.headers["x-lumi-identity"], settings.IDENTITY_SECRET)
        assert identity.role == "service"
        data = {"generation": {"totalRequests": 5, "completedRequests": 4, "failedRequests": 1},
                "modeling": {"totalModels": 2, "publicModels": 1, "privateModels": 1},
                "gallery": {"totalLikes": 7, "totalViews": 9, "extra": 1}}[request.url.host]
        return httpx.Response(200, json={"status": "success", "data": data})

    source = InternalStats(settings, transport=_transport(handler))
    stats = await source.for_user("u1")
    await source.aclose()
    assert stats == {**zero_stats(), "totalRequests": 5, "completedRequests": 4,
                     "failedRequests": 1, "totalModels": 2, "publicModels": 1,
                     "privateModels": 1, "totalLikes": 7, "totalViews": 9}
    assert sorted(seen) == [("gallery", "/internal/users/u1/stats"),
                            ("generation", "/internal/users/u1/stats"),
                            ("modeling", "/internal/users/u1/stats")]


async def test_a_down_slow_or_garbled_owner_gives_zeros_for_its_numbers(settings_factory):
    settings = settings_factory(**URLS, STATS_TIMEOUT=0.2)

    async def handler(request: httpx.Request) -> httpx.Response:
        if request.url.host == "generation":
            raise httpx.ConnectError("refused")
        if request.url.host == "modeling":
            await asyncio.sleep(5)
        return httpx.Response(200, json={"status": "success", "data": {"totalLikes": "many"}})

    source = InternalStats(settings, transport=_transport(handler))
    stats = await asyncio.wait_for(source.for_user("u1"), 2.0)
    await source.aclose()
    assert stats == zero_stats()


async def test_owners_without_a_url_are_not_called(settings_factory):
    calls = []

    def handler(request):
        calls.append(request)
        return httpx.Response(500)

    source = InternalStats(settings_factory(), transport=_transport(handler))
    assert source.clients == {}
    assert await source.for_user("u1") == zero_stats()
    assert calls == []


async def test_a_broken_source_never_raises(stats):
    stats.fail = True
    assert await safe_stats(stats, "u1") == zero_stats()
