"""A service's event handlers, declared once: `SUBSCRIPTIONS = {EventClass: use_case}`.

Every use case is `async use_case(deps, event)`; `bind` turns the declaration into durable,
idempotent subscriptions (queue `<service>.<routing key>`, processed-event key the same), so
handling one more event is one more line in the service's `consumers.py`.
"""

from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from ..contracts import Event
from .bus import Subscription
from .idempotency import ProcessedEvents, idempotent

UseCase = Callable[[Any, Any], Awaitable[Any]]


def bind(service: str, declared: Mapping[type[Event], UseCase], deps: Any,
         processed: ProcessedEvents) -> list[Subscription]:
    def handler(use_case: UseCase):
        async def handle(event: Event) -> None:
            await use_case(deps, event)

        return handle

    return [Subscription(service, event, idempotent(f"{service}.{event.routing_key}", processed,
                                                    handler(use_case)))
            for event, use_case in declared.items()]
