"""Event handlers of the printing service (thin: decode -> use case), idempotent."""

from lumi_shared.contracts import (
    ImageSelected,
    ModelDeleted,
    ModelFailed,
    ModelReady,
    ModelUpdated,
    TaskCreated,
    TaskDeleted,
)
from lumi_shared.messaging import ProcessedEvents, Subscription, idempotent

from .service import Deps, events

SERVICE = "printing"
HANDLERS = {TaskCreated: events.task_created, ImageSelected: events.image_selected,
            ModelReady: events.model_ready, ModelFailed: events.model_failed,
            ModelUpdated: events.model_updated, ModelDeleted: events.model_deleted,
            TaskDeleted: events.task_deleted}


def subscriptions(deps: Deps, processed: ProcessedEvents) -> list[Subscription]:
    def bind(use_case):
        async def handle(event) -> None:
            await use_case(deps, event)
        return handle

    return [Subscription(SERVICE, event, idempotent(f"{SERVICE}.{event.routing_key}", processed,
                                                    bind(use_case)))
            for event, use_case in HANDLERS.items()]
