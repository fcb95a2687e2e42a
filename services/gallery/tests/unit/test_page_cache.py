"""The gallery page cache: reuse within the TTL, one query for simultaneous callers."""

import asyncio

import pytest

from gallery.cache import PageCache


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def counting_loader():
    calls = []

    async def load():
        calls.append(1)
        await asyncio.sleep(0)
        return len(calls)

    return load, calls


async def test_a_page_is_reused_until_its_ttl_passes():
    clock = Clock()
    cache, (load, _) = PageCache(2.0, clock=clock), counting_loader()
    assert await cache.get_or_load("k", load) == 1
    clock.now = 1.9
    assert await cache.get_or_load("k", load) == 1
    clock.now = 2.1
    assert await cache.get_or_load("k", load) == 2
    assert await cache.get_or_load("other", load) == 3


async def test_simultaneous_identical_requests_share_one_query():
    cache, (load, calls) = PageCache(2.0), counting_loader()
    results = await asyncio.gather(*(cache.get_or_load("k", load) for _ in range(20)))
    assert results == [1] * 20 and len(calls) == 1


async def test_a_zero_ttl_disables_the_cache():
    cache, (load, calls) = PageCache(0), counting_loader()
    await cache.get_or_load("k", load)
    await cache.get_or_load("k", load)
    assert len(calls) == 2


async def test_a_failed_query_is_not_cached():
    cache = PageCache(2.0)

    async def broken():
        raise RuntimeError("db down")

    with pytest.raises(RuntimeError):
        await cache.get_or_load("k", broken)
    load, calls = counting_loader()
    assert await cache.get_or_load("k", load) == 1


async def test_the_cache_stays_bounded():
    cache, (load, _) = PageCache(60, max_entries=3), counting_loader()
    for key in range(10):
        await cache.get_or_load(key, load)
    assert len(cache._entries) <= 3
