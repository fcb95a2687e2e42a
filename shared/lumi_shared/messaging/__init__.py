"""Messaging plumbing: bus interface, transports, outbox and idempotent consumers."""

from typing import Any

from ..settings import BaseServiceSettings
from ..tracing import rabbit_middlewares
from .bus import EventBus, Handler, Subscription, decode_event
from .idempotency import ProcessedEvents, idempotent
from .memory import InMemoryBus
from .outbox import OutboxRelay, outbox_entry, with_outbox
from .subscriptions import bind as bind_subscriptions


def create_bus(settings: BaseServiceSettings) -> Any:
    """RabbitMQ when `RABBITMQ_URL` is set, else the in-process broker."""
    if settings.RABBITMQ_URL:
        from .rabbit import RabbitBus

        return RabbitBus(settings.RABBITMQ_URL, delivery_limit=settings.EVENT_DELIVERY_LIMIT,
                         prefetch=settings.EVENT_PREFETCH,
                         publish_timeout=settings.EVENT_PUBLISH_TIMEOUT,
                         transient_retry=settings.EVENT_TRANSIENT_RETRY,
                         middlewares=rabbit_middlewares(settings.SERVICE_NAME))
    return InMemoryBus(delivery_limit=settings.EVENT_DELIVERY_LIMIT,
                       transient_retry=settings.EVENT_TRANSIENT_RETRY,
                       parked_file=settings.LUMI_DATA_DIR / "parked-events.jsonl")


__all__ = ["EventBus", "Handler", "Subscription", "decode_event", "ProcessedEvents",
           "idempotent", "InMemoryBus", "OutboxRelay", "outbox_entry", "with_outbox",
           "create_bus", "bind_subscriptions"]
