"""Event handlers of the gallery, declared once in SUBSCRIPTIONS: modeling's model events and
printing's status events feed the catalogue projection.

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
from lumi_shared.messaging import ProcessedEvents, Subscription, bind_subscriptions

from . import service
from .deps import Deps

SERVICE = "gallery"


async def model_ready(deps: Deps, event: ModelReady) -> None:
    await service.project_model_ready(catalogue=deps.catalogue, event=event)


async def model_failed(deps: Deps, event: ModelFailed) -> None:
    await service.project_model_failed(catalogue=deps.catalogue, event=event)


async def model_updated(deps: Deps, event: ModelUpdated) -> None:
    await service.project_model_updated(catalogue=deps.catalogue, event=event)


async def model_deleted(deps: Deps, event: ModelDeleted) -> None:
    await service.project_model_deleted(catalogue=deps.catalogue,
                                        interactions=deps.interactions, event=event)


async def slice_status(deps: Deps, event: SliceStatusChanged) -> None:
    await service.project_slice_status(catalogue=deps.catalogue, event=event)


async def print_status(deps: Deps, event: PrintStatusChanged) -> None:
    await service.project_print_status(catalogue=deps.catalogue, event=event)


SUBSCRIPTIONS = {ModelReady: model_ready, ModelFailed: model_failed,
                 ModelUpdated: model_updated, ModelDeleted: model_deleted,
                 SliceStatusChanged: slice_status, PrintStatusChanged: print_status}


def subscriptions(deps: Deps, processed: ProcessedEvents) -> list[Subscription]:
    return bind_subscriptions(SERVICE, SUBSCRIPTIONS, deps, processed)
