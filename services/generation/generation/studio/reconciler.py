"""Server-side reconciliation: generations that got no callback in time are settled from the
provider's own record, and nothing stays pending or processing past its deadline."""

import asyncio
import contextlib
from datetime import timedelta

import structlog

from .domain import Status
from .service import Studio
from .settle import reconcile_one

log = structlog.get_logger("lumi.generation.studio")
BATCH = 100


class Reconciler:
    def __init__(self, studio: Studio) -> None:
        self.studio = studio
        self._task: asyncio.Task | None = None

    async def run_once(self) -> int:
        settings, repo = self.studio.settings, self.studio.repo
        now = repo.clock()
        ids = await repo.stale(Status.PENDING, now - timedelta(
            seconds=settings.STUDIO_PENDING_TIMEOUT), BATCH)
        ids += await repo.stale(Status.PROCESSING, now - timedelta(
            seconds=settings.STUDIO_CALLBACK_GRACE), BATCH)
        for generation_id in ids:
            try:
                await reconcile_one(self.studio, generation_id)
            except Exception as exc:  # one bad generation must not stop the others
                log.warning("studio_reconcile_failed", generation_id=generation_id,
                            error=type(exc).__name__)
        return len(ids)

    async def _loop(self) -> None:
        while True:
            await asyncio.sleep(self.studio.settings.STUDIO_RECONCILE_INTERVAL)
            try:
                await self.run_once()
            except Exception as exc:
                log.warning("studio_reconciler_pass_failed", error=type(exc).__name__)

    async def start(self) -> None:
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._loop())

    async def stop(self) -> None:
        if self._task:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
