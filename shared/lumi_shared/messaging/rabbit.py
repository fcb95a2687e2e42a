"""RabbitMQ transport on FastStream: durable topic exchange, one quorum queue per subscription
with its dead-letter queue and delivery limit, persistent publishes with publisher confirms
(`message_id = event_id`), manual-ack semantics (ack after the effect; nack on error;
reject poison straight to the DLQ).

Broker restarts: aio-pika's robust connection reconnects and restores the channel that
FastStream caches for publishing and consuming, but a publish in the gap fails, and a channel
whose own restore failed stays closed while the connection is fine. So a publish that fails on
the transport waits for the channel to come back and tries again (bounded by the publish
timeout), and a watchdog reopens a channel that stays closed on a live connection.
"""

import asyncio
import logging
import uuid
from typing import Any

import structlog
from aio_pika.exceptions import AMQPError, DeliveryError
from faststream.exceptions import RejectMessage
from faststream.middlewares import AckPolicy
from faststream.rabbit import (
    Channel,
    ExchangeType,
    QueueType,
    RabbitBroker,
    RabbitExchange,
    RabbitQueue,
)
from faststream.rabbit.annotations import RabbitMessage

from ..contracts import Event
from ..errors import PoisonMessage
from ..loop import BackgroundLoop
from ..tracing import stamped
from .bus import Handler, Subscription, decode_event
from .rabbit_ops import REPLAY_KEY, RabbitOperations
from .topology import (
    DEAD_LETTER_EXCHANGE,
    EXCHANGE,
    UNROUTED_EXCHANGE,
    UNROUTED_MAX_LENGTH,
    UNROUTED_QUEUE,
    dead_letter_queue_arguments,
    dead_letter_queue_name,
    queue_arguments,
)
from .transient import patient

log = structlog.get_logger("lumi.bus")

# Failures of the way to the broker (closed channel or connection, no confirm in time); a
# DeliveryError is the broker's own answer (nack, unroutable) and is not retried here.
TRANSPORT_ERRORS = (AMQPError, ConnectionError, OSError, RuntimeError, TimeoutError)

# Unroutable events (no consumer bound yet) go to a bounded catch-all queue instead of
# coming back as returns, so `mandatory` + `on_return_raises` only fire on real faults.
EVENTS_EXCHANGE = RabbitExchange(EXCHANGE, type=ExchangeType.TOPIC, durable=True,
                                 arguments={"alternate-exchange": UNROUTED_EXCHANGE})
DLX = RabbitExchange(DEAD_LETTER_EXCHANGE, type=ExchangeType.DIRECT, durable=True)
UNROUTED = RabbitExchange(UNROUTED_EXCHANGE, type=ExchangeType.FANOUT, durable=True)
BEST_EFFORT_CHANNEL = Channel(prefetch_count=1)


async def _raw_body(message: Any) -> bytes:
    """Keep the body as bytes: our contracts decode it, and bad JSON is poison, not a retry."""
    return message.body


def _routing_key(message: Any) -> str:
    replayed = (message.raw_message.headers or {}).get(REPLAY_KEY)
    return str(replayed) if replayed else message.raw_message.routing_key or ""


class RabbitBus(RabbitOperations):
    def __init__(self, url: str, *, delivery_limit: int = 5, prefetch: int = 10,
                 publish_timeout: float = 10.0, graceful_timeout: float = 10.0,
                 reconnect_interval: float = 2.0, channel_grace: float = 5.0,
                 transient_retry: float = 0.0, middlewares: tuple[Any, ...] = ()) -> None:
        """`channel_grace`: how long the channel may stay closed on a live connection (aio-pika
        restoring it) before the bus reopens it itself. `transient_retry`: seconds a durable
        consumer retries an infrastructure failure before it counts as a delivery."""
        self.url, self._ops = url, None
        self.transient_retry = transient_retry
        self.delivery_limit = delivery_limit
        self.publish_timeout = publish_timeout
        self.channel_grace = channel_grace
        self.broker = RabbitBroker(
            url, reconnect_interval=reconnect_interval,
            default_channel=Channel(prefetch_count=prefetch, publisher_confirms=True,
                                    on_return_raises=True),
            graceful_timeout=graceful_timeout,
            middlewares=middlewares,  # FastStream's telemetry middleware when tracing is on
            logger=logging.getLogger("lumi.faststream"),
            log_level=logging.DEBUG,  # one line per message only when debugging
        )
        self._queues: list[str] = []
        self._started = False
        self._recovering = asyncio.Lock()
        # the channels in use (None: FastStream's default one) -> since when seen closed
        self._channels: dict[Channel | None, float | None] = {None: None}
        self.watchdog = BackgroundLoop("bus-channel-watchdog", self._watch,
                                       interval=max(0.5, channel_grace / 2))

    def subscribe(self, subscription: Subscription) -> None:
        name = subscription.queue
        queue = RabbitQueue(name, durable=True, queue_type=QueueType.QUORUM,
                            routing_key=subscription.event.routing_key,
                            arguments=queue_arguments(name, self.delivery_limit))
        handler = patient(subscription.handler, budget=self.transient_retry)

        async def consume(body: bytes, message: RabbitMessage) -> None:
            try:
                event = decode_event(_routing_key(message), body)
                with structlog.contextvars.bound_contextvars(
                        event_id=event.event_id, task_id=getattr(event, "task_id", None)):
                    await handler(event)
            except PoisonMessage as exc:
                log.error("event_rejected", queue=name, reason=str(exc))
                raise RejectMessage() from exc
            except Exception as exc:
                log.warning("event_handler_failed", queue=name,
                            error=f"{type(exc).__name__}: {exc}",
                            redelivered=message.raw_message.redelivered)
                raise

        self.broker.subscriber(queue, EVENTS_EXCHANGE, ack_policy=AckPolicy.NACK_ON_ERROR,
                               decoder=_raw_body)(consume)
        self._queues.append(name)

    def subscribe_broadcast(self, name: str, handler: Handler, pattern: str = "#") -> None:
        queue = RabbitQueue(f"{name}.{uuid.uuid4().hex[:12]}", durable=False, exclusive=True,
                            auto_delete=True, routing_key=pattern,
                            arguments={"x-max-length": 10_000, "x-overflow": "drop-head"})
        self._best_effort(queue, handler)

    def subscribe_shared(self, name: str, handler: Handler, *, max_length: int,
                         max_age: float) -> None:
        queue = RabbitQueue(name, durable=True, routing_key="#", arguments={
            "x-single-active-consumer": True, "x-max-length": max_length,
            "x-overflow": "drop-head", "x-message-ttl": int(max_age * 1000)})
        self._best_effort(queue, handler)

    def _best_effort(self, queue: RabbitQueue, handler: Handler) -> None:
        """In publish order, one message at a time (its own channel with prefetch 1, acked
        once handled); a failed or unparseable delivery is not retried."""
        async def consume(body: bytes, message: RabbitMessage) -> None:
            try:
                await handler(decode_event(_routing_key(message), body))
            except PoisonMessage:
                return

        self._channels[BEST_EFFORT_CHANNEL] = None
        self.broker.subscriber(queue, EVENTS_EXCHANGE, ack_policy=AckPolicy.ACK,
                               channel=BEST_EFFORT_CHANNEL, decoder=_raw_body)(consume)

    async def _declare_topology(self) -> None:
        await self.broker.declare_exchange(UNROUTED)
        unrouted = await self.broker.declare_queue(RabbitQueue(
            UNROUTED_QUEUE, durable=True, arguments={"x-max-length": UNROUTED_MAX_LENGTH}))
        await unrouted.bind(UNROUTED_EXCHANGE, routing_key="")
        await self.broker.declare_exchange(EVENTS_EXCHANGE)
        await self.broker.declare_exchange(DLX)
        for name in self._queues:
            dlq = await self.broker.declare_queue(RabbitQueue(
                dead_letter_queue_name(name), durable=True, queue_type=QueueType.QUORUM,
                arguments=dead_letter_queue_arguments()))
            await dlq.bind(DEAD_LETTER_EXCHANGE, routing_key=name)

    async def start(self) -> None:
        await self.broker.connect()
        await self._declare_topology()
        await self.broker.start()
        self._started = True
        self.watchdog.start()

    async def publish(self, event: Event) -> None:
        """Publish with confirms; a transport failure (broker restarting, channel closed) is
        retried once the channel is back, until `publish_timeout` has passed."""
        body = stamped(event).model_dump_json().encode()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.publish_timeout
        attempt = 0
        while True:
            attempt += 1
            try:
                # the bound covers aio-pika waiting for a reconnecting connection, too
                async with asyncio.timeout(max(0.5, deadline - loop.time())):
                    await self.broker.publish(
                        body, exchange=EVENTS_EXCHANGE, routing_key=event.routing_key,
                        persist=True, mandatory=True, message_id=event.event_id,
                        content_type="application/json")
                return
            except DeliveryError:
                raise
            except TRANSPORT_ERRORS as exc:
                if loop.time() >= deadline:
                    raise
                log.info("publish_retry", attempt=attempt, routing_key=event.routing_key,
                         error=f"{type(exc).__name__}: {exc}")
                await self._recover(deadline)

    async def _channel(self, which: Channel | None = None) -> Any:
        """FastStream's channel: the default one carries publishes and durable consumers."""
        return await self.broker.config.channel_manager.get_channel(which)

    async def _recover(self, deadline: float) -> None:
        """Wait (until `deadline`) for the channel to be open again; the watchdog step reopens
        it when the connection is up but the channel stays closed past the grace period."""
        loop = asyncio.get_running_loop()
        while True:
            await asyncio.sleep(min(0.2, max(0.0, deadline - loop.time())))
            await self._watch()
            if loop.time() >= deadline or not (await self._channel()).is_closed:
                return

    async def _watch(self) -> None:
        """Reopen a channel closed for `channel_grace` seconds while the connection was up (a
        robust channel whose own restore failed never comes back); its consumers come back
        with it."""
        if not self._started:
            return
        loop = asyncio.get_running_loop()
        connected = await self.broker.ping(timeout=0.1)
        for which, since in list(self._channels.items()):
            channel = await self._channel(which)
            if not channel.is_closed or not connected:
                self._channels[which] = None
                continue
            since = self._channels[which] = since or loop.time()
            if loop.time() - since < self.channel_grace:
                continue
            async with self._recovering:
                if channel.is_closed:
                    log.warning("bus_channel_reopened", closed_for=round(loop.time() - since, 1))
                    await channel.reopen()
            self._channels[which] = None

    async def stop(self) -> None:
        await self.watchdog.stop()
        await self.broker.stop()
        await self.close_operations()
        self._started = False

    async def ping(self) -> bool:
        """Ready: the connection is up and no channel has been closed past the grace period."""
        if not await self.broker.ping(timeout=2.0):
            return False
        now = asyncio.get_running_loop().time()
        return all(since is None or now - since < self.channel_grace
                   for since in self._channels.values())

    @property
    def queue_names(self) -> list[str]:
        """The durable queues this bus consumes from (for operators and tests)."""
        return list(self._queues)
