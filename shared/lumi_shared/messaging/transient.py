"""Infrastructure outages are not the message's fault.

A handler that fails because the database or the broker is unreachable would fail the same
way on every redelivery, and a quorum queue counts each one: an outage longer than
`delivery_limit` quick redeliveries dead-letters perfectly good messages. So a durable
consumer retries such failures itself, holding the message (unacked) with exponential backoff
and jitter, for at most `budget` seconds; only then does the failure count as a delivery. An
outage that outlasts `delivery_limit x budget` still ends in the dead-letter queue.
"""

import asyncio
import random
import time
from collections.abc import Awaitable, Callable

import structlog
from aio_pika.exceptions import AMQPConnectionError, ChannelInvalidStateError
from pymongo.errors import ConnectionFailure, WaitQueueTimeoutError

from ..contracts import Event
from ..errors import ServiceUnavailable
from .bus import Handler

log = structlog.get_logger("lumi.bus")

# the database server unreachable (server selection, network, no primary) or a busy pool
DATABASE_OUTAGE = (ConnectionFailure, WaitQueueTimeoutError)
# ... the broker unreachable, and our own "try again" answer
TRANSIENT = (*DATABASE_OUTAGE, AMQPConnectionError, ChannelInvalidStateError, ServiceUnavailable)


def caused_by(exc: BaseException, kinds: tuple[type[BaseException], ...]) -> bool:
    """`exc` is one of `kinds`, or directly wraps one."""
    return isinstance(exc, kinds) or isinstance(exc.__cause__, kinds)


def is_transient(exc: BaseException) -> bool:
    return caused_by(exc, TRANSIENT)


def patient(handler: Handler, *, budget: float, base: float = 0.5, cap: float = 10.0,
            sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
            clock: Callable[[], float] = time.monotonic) -> Handler:
    """`handler`, retrying transient failures for up to `budget` seconds (0: never)."""
    if budget <= 0:
        return handler

    async def handle(event: Event) -> None:
        deadline = clock() + budget
        delay, attempt = base, 0
        while True:
            attempt += 1
            try:
                return await handler(event)
            except Exception as exc:
                wait = min(delay, cap) * (1 + random.random() / 2)
                if not is_transient(exc) or clock() + wait > deadline:
                    raise
                log.warning("event_handler_transient_failure", event_id=event.event_id,
                            attempt=attempt, retry_in=round(wait, 2),
                            error=f"{type(exc).__name__}: {exc}")
                await sleep(wait)
                delay *= 2

    handle.__name__ = getattr(handler, "__name__", "handler")
    return handle
