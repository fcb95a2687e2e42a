"""Event handlers: modeling's model events feed the catalogue projection.

TaskDeleted is not consumed: modeling answers it by deleting the task's model and publishing
ModelDeleted, which is what the gallery needs (one source of truth for removals)."""

from lumi_shared.contracts import (
    ModelDeleted,
    ModelFailed,
    ModelReady,
    ModelUpdated,
    PrintStatusChanged,
    SliceStatusChanged,
)
from lumi_shared.messaging import ProcessedEvents, Subscription, idempotent

from . import service
from .repository import CatalogueRepository, InteractionRepository

SERVICE = "gallery"


def subscriptions(*, catalogue: CatalogueRepository, interactions: InteractionRepository,
                  processed: ProcessedEvents) -> list[Subscription]:
    async def on_model_ready(event: ModelReady) -> None:
        await service.project_model_ready(catalogue=catalogue, event=event)

    async def on_model_failed(event: ModelFailed) -> None:
        await service.project_model_failed(catalogue=catalogue, event=event)

    async def on_model_updated(event: ModelUpdated) -> None:
        await service.project_model_updated(catalogue=catalogue, event=event)

    async def on_model_deleted(event: ModelDeleted) -> None:
        await service.project_model_deleted(catalogue=catalogue, interactions=interactions,
                                            event=event)

    async def on_slice_status(event: SliceStatusChanged) -> None:
        await service.project_slice_status(catalogue=catalogue, event=event)

    async def on_print_status(event: PrintStatusChanged) -> None:
        await service.project_print_status(catalogue=catalogue, event=event)

    handlers = [(ModelReady, on_model_ready), (ModelFailed, on_model_failed),
                (ModelUpdated, on_model_updated), (ModelDeleted, on_model_deleted),
                (SliceStatusChanged, on_slice_status), (PrintStatusChanged, on_print_status)]
    return [Subscription(SERVICE, event, idempotent(f"{SERVICE}.{event.routing_key}",
                                                    processed, handler))
            for event, handler in handlers]
