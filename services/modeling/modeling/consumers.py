"""Event handlers of the modeling service, declared once in SUBSCRIPTIONS (event -> use case)."""

from lumi_shared.contracts import ImageSelected, TaskDeleted
from lumi_shared.messaging import ProcessedEvents, Subscription, bind_subscriptions

from . import service
from .deps import Deps

SERVICE = "modeling"


async def image_selected(deps: Deps, event: ImageSelected) -> None:
    await service.accept_selection(event, deps)


async def task_deleted(deps: Deps, event: TaskDeleted) -> None:
    await service.remove_task_model(event, deps)


SUBSCRIPTIONS = {ImageSelected: image_selected, TaskDeleted: task_deleted}


def subscriptions(deps: Deps, processed: ProcessedEvents) -> list[Subscription]:
    return bind_subscriptions(SERVICE, SUBSCRIPTIONS, deps, processed)
