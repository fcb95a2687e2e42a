"""Background safety net: no task stays in a non-final state forever, and deleted tasks lose
their files and documents even if their TaskDeleted delivery was lost.

Every sweep is a guarded command on one task, so several replicas may sweep at once.
"""

from collections.abc import Callable
from datetime import timedelta

import structlog

from lumi_shared.loop import BackgroundLoop
from lumi_shared.storage import ObjectStorage

from .config import Settings
from .domain.enums import IMAGE_ACTIVE_STATUSES, MODEL_ACTIVE_STATUSES, ImageStatus
from .domain.images import expire_images
from .domain.projection import expire_model, reconciled
from .providers.modeling import ModelingUnavailable, ModelTruth
from .repository import TaskRepository

log = structlog.get_logger("lumi.generation.sweeper")

MODEL_TIMED_OUT = "3D model generation timed out"
BATCH = 100


async def purge_task(task_id: str, *, repo: TaskRepository, storage: ObjectStorage) -> bool:
    """Remove a deleted task's stored images and its document (idempotent)."""
    if await repo.get(task_id) is not None:
        return False  # never purge a live task
    await storage.delete_prefix(f"images/{task_id}/")
    removed = await repo.remove_deleted(task_id)
    if removed:
        log.info("task_purged", task_id=task_id)
    return removed


BUSY_STALL_FACTOR = 4


class Sweeper:
    def __init__(self, *, repo: TaskRepository, storage: ObjectStorage, settings: Settings,
                 modeling: ModelTruth, images_paused: Callable[[], bool] = lambda: False,
                 images_busy: Callable[[], bool] = lambda: False) -> None:
        """`images_paused`: the image queue is paused, so waiting images are not stalled.
        `images_busy`: the image worker is running images, so a task whose images have not
        started is queued behind them, not stalled (expired leases are still recovered); a
        task whose TaskCreated was lost is recovered once the worker is idle, or after
        `BUSY_STALL_FACTOR` x IMAGE_STALL_TIMEOUT if it never is."""
        self.repo, self.storage, self.settings = repo, storage, settings
        self.modeling, self.images_paused = modeling, images_paused
        self.images_busy = images_busy
        self.loop = BackgroundLoop("generation-sweeper", self.sweep,
                                   interval=settings.SWEEP_INTERVAL)

    async def sweep(self) -> int:
        now = self.repo.clock()
        image_cutoff = now - timedelta(seconds=self.settings.IMAGE_STALL_TIMEOUT)
        model_cutoff = now - timedelta(seconds=self.settings.MODEL_STALL_TIMEOUT)
        purge_cutoff = now - timedelta(seconds=self.settings.DELETED_PURGE_AFTER)
        changed = 0
        # queued behind a busy worker is not stalled, but only up to BUSY_STALL_FACTOR times
        # the timeout: under endless traffic a task whose images never started still ends
        stall_cutoff = (now - timedelta(seconds=self.settings.IMAGE_STALL_TIMEOUT
                                        * BUSY_STALL_FACTOR)) if self.images_busy() else image_cutoff
        stale = [{"images": {"$elemMatch": {"imageStatus": str(ImageStatus.GENERATING),
                                            "job.leaseUntil": {"$lt": now}}}},
                 {"updatedAt": {"$lt": stall_cutoff}}]
        stale_images = [] if self.images_paused() else await self.repo.find_ids({
            "deletedAt": None, "status": {"$in": [str(s) for s in IMAGE_ACTIVE_STATUSES]},
            "$or": stale}, BATCH)
        for task_id in stale_images:
            result = await self.repo.mutate(
                task_id, expire_images(stall_cutoff, self.settings.SWEEP_RECOVERIES))
            changed += bool(result and result.changed)
        reconcile_cutoff = now - timedelta(seconds=self.settings.MODEL_RECONCILE_AFTER)
        stale_models = await self.repo.find_ids({
            "deletedAt": None, "status": {"$in": [str(s) for s in MODEL_ACTIVE_STATUSES]},
            "updatedAt": {"$lt": max(reconcile_cutoff, model_cutoff)}}, BATCH)
        for task_id in stale_models:
            changed += await self.reconcile_model(task_id, model_cutoff)
        leftovers = await self.repo.find_ids({"deletedAt": {"$lt": purge_cutoff},
                                              "outbox.0": {"$exists": False}}, BATCH)
        for task_id in leftovers:
            changed += await purge_task(task_id, repo=self.repo, storage=self.storage)
        if changed:
            log.info("sweep_done", changed=changed)
        return changed

    async def reconcile_model(self, task_id: str, stall_cutoff) -> bool:
        """Ask modeling before touching a silent model: its state rebuilds the task view; only
        a model modeling does not have, past the stall timeout, is reported failed."""
        try:
            truth = await self.modeling.model_of(task_id)
        except ModelingUnavailable:
            log.warning("model_truth_unavailable", task_id=task_id)
            return False
        transition = (expire_model(stall_cutoff, MODEL_TIMED_OUT) if truth is None
                      else reconciled(truth))
        result = await self.repo.mutate(task_id, transition)
        if result and result.changed:
            log.info("model_reconciled", task_id=task_id,
                     truth=truth.routing_key if truth else "no model")
        return bool(result and result.changed)

    async def start(self) -> None:
        if self.settings.SWEEP_INTERVAL > 0:
            self.loop.start()

    async def stop(self) -> None:
        await self.loop.stop()
