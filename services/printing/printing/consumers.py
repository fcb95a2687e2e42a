"""Event handlers of the printing service, declared once in SUBSCRIPTIONS (event -> use case)."""

from lumi_shared.contracts import (
    ImageSelected,
    ModelDeleted,
    ModelFailed,
    ModelReady,
    ModelUpdated,
    TaskCreated,
    TaskDeleted,
)
from lumi_shared.messaging import ProcessedEvents, Subscription, bind_subscriptions

from .service import Deps, events

SERVICE = "printing"
SUBSCRIPTIONS = {TaskCreated: events.task_created, ImageSelected: events.image_selected,
                 ModelReady: events.model_ready, ModelFailed: events.model_failed,
                 ModelUpdated: events.model_updated, ModelDeleted: events.model_deleted,
                 TaskDeleted: events.task_deleted}


def subscriptions(deps: Deps, processed: ProcessedEvents) -> list[Subscription]:
    return bind_subscriptions(SERVICE, SUBSCRIPTIONS, deps, processed)
