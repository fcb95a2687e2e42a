"""The event bus interface every service codes against, whatever the transport."""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Protocol

from ..contracts import Event, event_class
from ..errors import PoisonMessage
from .topology import queue_name

Handler = Callable[[Event], Awaitable[None]]


@dataclass(frozen=True)
class Subscription:
    """`service` consumes `event` through its durable queue `<service>.<routing key>`."""

    service: str
    event: type[Event]
    handler: Handler

    @property
    def queue(self) -> str:
        return queue_name(self.service, self.event.routing_key)


class EventBus(Protocol):
    def subscribe(self, subscription: Subscription) -> None: ...

    def subscribe_broadcast(self, name: str, handler: Handler, pattern: str = "#") -> None:
        """Every event matching `pattern`, through a private auto-delete queue (each replica
        sees all of them: the gateway's SSE, a service's queue settings)."""

    def subscribe_shared(self, name: str, handler: Handler, *, max_length: int,
                         max_age: float) -> None:
        """Every event, in publish order, through one durable queue `name` that all replicas
        share with a single active consumer; it keeps the events (at most `max_length`, none
        older than `max_age` seconds) while no replica runs."""

    async def publish(self, event: Event) -> None: ...
    async def start(self) -> None: ...
    async def stop(self) -> None: ...
    async def ping(self) -> bool: ...


def decode_event(routing_key: str, body: bytes | str | dict) -> Event:
    """Parse a message body into its contract; anything unparseable is poison."""
    cls = event_class(routing_key)
    if cls is None:
        raise PoisonMessage(f"no contract for routing key {routing_key!r}")
    try:
        if isinstance(body, dict):
            return cls.model_validate(body)
        return cls.model_validate_json(body)
    except ValueError as exc:
        raise PoisonMessage(f"invalid {routing_key} body: {exc.__class__.__name__}") from exc
