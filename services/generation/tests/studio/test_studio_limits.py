"""Abuse limits for every generation: per-user in-flight cap and rate limit (429 + Retry-After)."""

import asyncio

from lumi_shared.testing import as_user

from .conftest import success_payload


async def test_generations_in_flight_are_capped_per_user_and_a_finished_one_frees_its_slot(
        studio_with):
    async with studio_with(GENERATION_MAX_IN_FLIGHT=2, GENERATION_RATE_PER_MINUTE=100) as studio:
        user = await studio.user("busy@example.com", balance=1000)
        other = await studio.user("calm@example.com", balance=100)
        assert [(await studio.create(user)).status_code for _ in range(2)] == [200, 200]
        third = await studio.create(user)
        assert third.status_code == 429 and int(third.headers["retry-after"]) >= 1
        assert third.json()["data"]["code"] == "RATE_LIMITED"
        assert (await studio.create(other)).status_code == 200
        assert await studio.balance(user) == 940  # the refused one was never charged
        await studio.webhook(success_payload(studio.provider.created[0]["task_id"]))
        assert (await studio.create(user)).status_code == 200


async def test_concurrent_creates_never_overshoot_the_cap(studio_with):
    async with studio_with(GENERATION_MAX_IN_FLIGHT=3, GENERATION_RATE_PER_MINUTE=100) as studio:
        user = await studio.user("burst@example.com", balance=1000)
        codes = [r.status_code for r in await asyncio.gather(
            *(studio.create(user) for _ in range(20)))]
        assert codes.count(200) == 3 and codes.count(429) == 17
        assert await studio.balance(user) == 910


async def test_the_rate_limit_counts_every_start_in_a_sliding_minute(studio_with):
    async with studio_with(GENERATION_MAX_IN_FLIGHT=100, GENERATION_RATE_PER_MINUTE=3) as studio:
        user = await studio.user("fast@example.com", balance=1000)
        assert [(await studio.create(user)).status_code for _ in range(3)] == [200] * 3
        refused = await studio.create(user)
        assert refused.status_code == 429 and 1 <= int(refused.headers["retry-after"]) <= 60


async def test_the_main_task_flow_is_limited_too(studio_with):
    async with studio_with(GENERATION_MAX_IN_FLIGHT=2, GENERATION_RATE_PER_MINUTE=100,
                           SIMULATED_IMAGE_LATENCY=30.0) as studio:
        made = [await studio.gen.post("/api/tasks", json={"prompt": f"a lamp {i}"},
                                      headers=as_user("web-user")) for i in range(3)]
        assert [r.status_code for r in made] == [201, 201, 429]
        assert "retry-after" in made[2].headers
