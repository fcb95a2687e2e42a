"""Event handlers of the generation service, declared once in SUBSCRIPTIONS: the image
worker, the purge of deleted tasks, and the projections of modeling's and printing's events
into the task view."""

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from lumi_shared.aggregate import Transition
from lumi_shared.contracts import TaskCreated, TaskDeleted, TaskImagesRetried
from lumi_shared.messaging import ProcessedEvents, Subscription, bind_subscriptions

from .domain import projection
from .sweeper import purge_task

if TYPE_CHECKING:
    from .deps import Deps

SERVICE = "generation"


async def run_images(deps: "Deps", event: TaskCreated | TaskImagesRetried) -> None:
    await deps.worker.run(event.task_id)


async def purge(deps: "Deps", event: TaskDeleted) -> None:
    await purge_task(event.task_id, repo=deps.repo, storage=deps.storage)


def project(transition_for: Callable[[Any], Transition]):
    """Apply the task view's transition for another service's event."""
    async def handle(deps: "Deps", event: Any) -> None:
        if task_id := getattr(event, "task_id", None):
            await deps.repo.mutate(task_id, transition_for(event))

    return handle


SUBSCRIPTIONS = {
    TaskCreated: run_images,
    TaskImagesRetried: run_images,
    TaskDeleted: purge,
    **{event: project(transition) for event, transition in projection.PROJECTIONS.items()},
}


def subscriptions(deps: "Deps", processed: ProcessedEvents) -> list[Subscription]:
    return bind_subscriptions(SERVICE, SUBSCRIPTIONS, deps, processed)
