"""One background loop for every periodic job (outbox relay, sweepers, workers, maintenance).

`BackgroundLoop(name, step, interval=...)` runs `await step()` every `interval` seconds, or
as soon as `wake()` is called; a failing step is retried with exponential backoff plus random
jitter (`stamina`, capped at `backoff_max`) until it succeeds, then the normal rhythm resumes.
`start()` is idempotent, `stop()` cancels and waits. Cancellation is never retried.
"""

import asyncio
from collections.abc import Awaitable, Callable

import stamina
import structlog

log = structlog.get_logger("lumi.loop")


class BackgroundLoop:
    def __init__(self, name: str, step: Callable[[], Awaitable[object]], *, interval: float,
                 run_first: bool = False, backoff_initial: float = 0.5,
                 backoff_max: float = 30.0) -> None:
        """`run_first`: run a step at start instead of waiting one interval first."""
        self.name, self.step, self.interval = name, step, interval
        self.run_first = run_first
        self.backoff_initial, self.backoff_max = backoff_initial, backoff_max
        self._wake = asyncio.Event()
        self._task: asyncio.Task | None = None

    @property
    def running(self) -> bool:
        return self._task is not None

    def wake(self) -> None:
        """Run the step soon (without waiting for the rest of the interval)."""
        self._wake.set()

    def start(self) -> None:
        if self._task is None:
            if self.run_first:
                self._wake.set()
            self._task = asyncio.get_running_loop().create_task(self._run(), name=self.name)

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)

    async def _pause(self) -> None:
        # asyncio.timeout, not wait_for: on 3.11 wait_for can swallow a cancel that races
        # the wake-up, and stop() would then wait forever.
        try:
            async with asyncio.timeout(self.interval):
                await self._wake.wait()
        except TimeoutError:
            pass
        self._wake.clear()

    async def _logged_step(self) -> None:
        try:
            await self.step()
        except Exception as exc:
            log.warning("loop_step_failed", loop=self.name, error=f"{type(exc).__name__}: {exc}")
            raise

    async def _run(self) -> None:
        while True:
            await self._pause()
            async for attempt in stamina.retry_context(
                    on=Exception, attempts=None, timeout=None,
                    wait_initial=self.backoff_initial, wait_max=self.backoff_max,
                    wait_jitter=self.backoff_initial):
                with attempt:
                    await self._logged_step()
