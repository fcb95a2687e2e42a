"""Event handlers of the printing service, declared once in SUBSCRIPTIONS (event -> use case)."""

from lumi_shared import contracts as c
from lumi_shared.messaging import ProcessedEvents, Subscription, bind_subscriptions

from .deps import Deps
from .service import events

SERVICE = "printing"
SUBSCRIPTIONS = {c.TaskCreated: events.task_created, c.ImageSelected: events.image_selected,
                 c.ModelReady: events.model_ready, c.ModelFailed: events.model_failed,
                 c.ModelUpdated: events.model_updated, c.ModelDeleted: events.model_deleted,
                 c.TaskDeleted: events.task_deleted}


def subscriptions(deps: Deps, processed: ProcessedEvents) -> list[Subscription]:
    return bind_subscriptions(SERVICE, SUBSCRIPTIONS, deps, processed)
