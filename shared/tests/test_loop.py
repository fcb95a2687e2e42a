import asyncio

from lumi_shared.loop import BackgroundLoop


async def wait_for(predicate, timeout=2.0):
    async with asyncio.timeout(timeout):
        while not predicate():
            await asyncio.sleep(0.005)


async def test_runs_on_its_interval_and_at_once_when_woken():
    calls = []

    async def step():
        calls.append(1)

    loop = BackgroundLoop("t", step, interval=60)
    loop.start()
    await asyncio.sleep(0.05)
    assert calls == []  # waits one interval first unless run_first
    loop.wake()
    await wait_for(lambda: len(calls) == 1)
    await loop.stop()
    assert not loop.running


async def test_a_failing_step_is_retried_with_backoff_until_it_succeeds():
    outcomes = [RuntimeError("down"), RuntimeError("still down"), None]
    times = []

    async def step():
        times.append(asyncio.get_running_loop().time())
        outcome = outcomes.pop(0)
        if outcome:
            raise outcome

    loop = BackgroundLoop("t", step, interval=60, run_first=True, backoff_initial=0.02,
                          backoff_max=0.2)
    loop.start()
    await wait_for(lambda: not outcomes)
    await loop.stop()
    assert len(times) == 3
    assert times[1] - times[0] >= 0.02 and times[2] - times[1] >= 0.04  # grows


async def test_stop_cancels_a_step_in_progress_and_start_is_idempotent():
    started, cancelled = asyncio.Event(), []

    async def step():
        started.set()
        try:
            await asyncio.sleep(60)
        except asyncio.CancelledError:
            cancelled.append(1)
            raise

    loop = BackgroundLoop("t", step, interval=60, run_first=True)
    loop.start()
    loop.start()
    await asyncio.wait_for(started.wait(), 2)
    await loop.stop()
    assert cancelled == [1]
