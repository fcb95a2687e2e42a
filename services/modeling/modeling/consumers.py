"""Event handlers of the modeling service (thin: decode -> use case), idempotent."""

from lumi_shared.contracts import ImageSelected, TaskDeleted
from lumi_shared.messaging import ProcessedEvents, Subscription, idempotent

from . import service
from .service import Deps

SERVICE = "modeling"


def subscriptions(deps: Deps, processed: ProcessedEvents) -> list[Subscription]:
    async def on_image_selected(event: ImageSelected) -> None:
        await service.accept_selection(event, deps)

    async def on_task_deleted(event: TaskDeleted) -> None:
        await service.remove_task_model(event, deps)

    return [
        Subscription(SERVICE, ImageSelected,
                     idempotent("modeling.image_selected", processed, on_image_selected)),
        Subscription(SERVICE, TaskDeleted,
                     idempotent("modeling.task_deleted", processed, on_task_deleted)),
    ]
