"""Event handlers of the generation service: the image worker, the purge of deleted tasks, and
the projections of modeling's and printing's events into the task view."""

from collections.abc import Callable
from typing import Any

from lumi_shared.contracts import (
    Event,
    ModelDeleted,
    ModelFailed,
    ModelGenerating,
    ModelProgressed,
    ModelReady,
    ModelUpdated,
    PrintStatusChanged,
    PrintSubmitted,
    SliceStatusChanged,
    TaskCreated,
    TaskDeleted,
)
from lumi_shared.contracts.tasks import TaskImagesRetried
from lumi_shared.messaging import ProcessedEvents, Subscription, idempotent
from lumi_shared.storage import ObjectStorage

from .domain import projection
from .repository import TaskRepository
from .sweeper import purge_task
from .worker import ImageWorker

SERVICE = "generation"

PROJECTIONS: dict[type[Event], Callable[[Any], Any]] = {
    ModelGenerating: projection.model_progress,
    ModelProgressed: projection.model_progress,
    ModelReady: projection.model_ready,
    ModelFailed: projection.model_failed,
    ModelUpdated: projection.model_updated,
    ModelDeleted: projection.model_deleted,
    PrintSubmitted: projection.print_submitted,
    PrintStatusChanged: projection.print_status_changed,
    SliceStatusChanged: projection.slice_status_changed,
}


def build_subscriptions(*, repo: TaskRepository, worker: ImageWorker, storage: ObjectStorage,
                        processed: ProcessedEvents) -> list[Subscription]:
    async def run_images(event: TaskCreated | TaskImagesRetried) -> None:
        await worker.run(event.task_id)

    async def purge(event: TaskDeleted) -> None:
        await purge_task(event.task_id, repo=repo, storage=storage)

    def project(command_for: Callable[[Any], Any]):
        async def handle(event: Any) -> None:
            task_id = getattr(event, "task_id", None)
            if task_id:
                await repo.mutate(task_id, command_for(event))

        return handle

    def sub(event: type[Event], handler) -> Subscription:
        name = f"{SERVICE}.{event.routing_key}"
        return Subscription(SERVICE, event, idempotent(name, processed, handler))

    subscriptions = [sub(TaskCreated, run_images), sub(TaskImagesRetried, run_images),
                     sub(TaskDeleted, purge)]
    subscriptions += [sub(event, project(command)) for event, command in PROJECTIONS.items()]
    return subscriptions
