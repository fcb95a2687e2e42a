"""The RabbitMQ transport against a real broker: topology, confirms, redelivery, DLQ."""

import asyncio
import uuid

import aio_pika
import pytest
from pymongo.errors import ServerSelectionTimeoutError

from lumi_shared.contracts import ImageCompleted, TaskCreated
from lumi_shared.errors import PoisonMessage
from lumi_shared.messaging import Subscription
from lumi_shared.messaging.rabbit import RabbitBus
from lumi_shared.messaging.topology import (
    EXCHANGE,
    dead_letter_queue_arguments,
    dead_letter_queue_name,
    queue_name,
)
from lumi_shared.testing import wait_for

pytestmark = pytest.mark.rabbit


@pytest.fixture
async def broker(rabbit_url):
    connection = await aio_pika.connect(rabbit_url)
    channel = await connection.channel()
    created: list[str] = []
    yield channel, created
    for name in created:
        await channel.queue_delete(name)
    await connection.close()


async def depth(channel, queue: str) -> int:
    declared = await channel.declare_queue(queue, passive=True)
    return declared.declaration_result.message_count


def task_created(prompt: str) -> TaskCreated:
    return TaskCreated(task_id=uuid.uuid4().hex, user_id="u1", prompt=prompt)


async def started_bus(rabbit_url, service, handler, created, delivery_limit=3):
    bus = RabbitBus(rabbit_url, delivery_limit=delivery_limit, prefetch=5)
    bus.subscribe(Subscription(service, TaskCreated, handler))
    queue = queue_name(service, TaskCreated.routing_key)
    created += [queue, dead_letter_queue_name(queue)]
    await bus.start()
    return bus, queue


async def test_published_events_are_persistent_with_message_id_equal_to_event_id(rabbit_url, broker):
    channel, created = broker
    bus = RabbitBus(rabbit_url)
    await bus.start()  # declares the exchange, which a fresh broker does not have yet
    probe = await channel.declare_queue(f"probe.{uuid.uuid4().hex}", exclusive=True)
    await probe.bind(EXCHANGE, routing_key="image.completed")
    event = ImageCompleted(task_id="t", user_id="u", image_id="i", index=1, image_url="http://x")
    await bus.publish(event)
    message = await wait_for(lambda: probe.get(fail=False), timeout=5)
    await message.ack()
    assert message.message_id == event.event_id
    assert message.delivery_mode == aio_pika.DeliveryMode.PERSISTENT
    await bus.stop()


async def test_an_event_without_any_consumer_is_still_confirmed(rabbit_url):
    bus = RabbitBus(rabbit_url)
    await bus.start()
    await bus.publish(TaskCreated(task_id="t", user_id="u", prompt="nobody listens"))
    await bus.stop()


async def test_a_consumer_failure_is_redelivered_and_the_effect_happens_once(rabbit_url, broker):
    channel, created = broker
    attempts: dict[str, int] = {}
    effects: list[str] = []

    async def flaky(event):
        attempts[event.event_id] = attempts.get(event.event_id, 0) + 1
        if attempts[event.event_id] == 1:
            raise RuntimeError("transient failure")
        if event.event_id not in effects:
            effects.append(event.event_id)

    bus, queue = await started_bus(rabbit_url, f"t{uuid.uuid4().hex[:8]}", flaky, created)
    events = [task_created(f"p{i}") for i in range(5)]
    for event in events:
        await bus.publish(event)
    await wait_for(lambda: len(effects) == 5, timeout=15)
    assert all(attempts[e.event_id] == 2 for e in events)
    await bus.stop()
    assert await depth(channel, queue) == 0
    assert await depth(channel, dead_letter_queue_name(queue)) == 0


async def test_a_message_that_always_fails_ends_in_the_dead_letter_queue(rabbit_url, broker):
    channel, created = broker
    attempts: list[str] = []

    async def broken(event):
        attempts.append(event.event_id)
        raise RuntimeError("always fails")

    bus, queue = await started_bus(rabbit_url, f"t{uuid.uuid4().hex[:8]}", broken, created,
                                   delivery_limit=2)
    await bus.publish(task_created("doomed"))
    dlq = dead_letter_queue_name(queue)
    await wait_for(lambda: _at_least(channel, dlq, 1), timeout=20)
    await bus.stop()
    assert 2 <= len(attempts) <= 3  # first delivery + `delivery_limit` redeliveries at most
    message = await (await channel.declare_queue(dlq, passive=True)).get()
    assert message.headers["x-death"][0]["queue"] == queue
    await message.ack()


async def test_dead_letter_queues_are_bounded(rabbit_url, broker):
    channel, created = broker

    async def never(event):
        raise RuntimeError("unused")

    bus, queue = await started_bus(rabbit_url, f"t{uuid.uuid4().hex[:8]}", never, created)
    await bus.stop()
    declared = await channel.declare_queue(dead_letter_queue_name(queue), durable=True,
                                           arguments={"x-queue-type": "quorum",
                                                      **dead_letter_queue_arguments()})
    assert declared.declaration_result.message_count == 0  # same arguments: no conflict


async def test_poison_messages_go_to_the_dead_letter_queue_after_one_delivery(rabbit_url, broker):
    channel, created = broker
    seen: list[str] = []

    async def handler(event):
        seen.append(event.prompt)
        if event.prompt == "poison":
            raise PoisonMessage("semantically invalid")

    bus, queue = await started_bus(rabbit_url, f"t{uuid.uuid4().hex[:8]}", handler, created,
                                   delivery_limit=5)
    exchange = await channel.get_exchange(EXCHANGE)
    await exchange.publish(aio_pika.Message(b"\x00not json"), routing_key="task.created")
    await bus.publish(task_created("poison"))
    await bus.publish(task_created("fine"))
    dlq = dead_letter_queue_name(queue)
    await wait_for(lambda: _at_least(channel, dlq, 2), timeout=20)
    await wait_for(lambda: "fine" in seen, timeout=10)
    await bus.stop()
    assert seen.count("poison") == 1


async def _at_least(channel, queue, n):
    return await depth(channel, queue) >= n


async def test_every_broadcast_subscriber_sees_every_event(rabbit_url):
    buses, received = [], [[], []]
    for sink in received:
        bus = RabbitBus(rabbit_url)

        async def collect(event, sink=sink):
            sink.append(event.event_id)

        bus.subscribe_broadcast("gateway-test", collect)
        await bus.start()
        buses.append(bus)
    event = task_created("fan out")
    await buses[0].publish(event)
    await wait_for(lambda: all(event.event_id in r for r in received), timeout=10)
    for bus in buses:
        await bus.stop()


async def test_ping_reports_a_live_connection(rabbit_url):
    bus = RabbitBus(rabbit_url)
    await bus.start()
    assert await bus.ping()
    await bus.stop()
    await asyncio.sleep(0)


async def test_a_database_outage_does_not_use_up_the_deliveries(rabbit_url, broker):
    """delivery limit 1; the handler's database is unreachable three times in a row."""
    channel, created = broker
    calls: list[str] = []

    async def needs_the_database(event):
        calls.append(event.event_id)
        if len(calls) <= 3:
            raise ServerSelectionTimeoutError("database down")

    service = f"t{uuid.uuid4().hex[:8]}"
    bus = RabbitBus(rabbit_url, delivery_limit=1, prefetch=5, transient_retry=30)
    bus.subscribe(Subscription(service, TaskCreated, needs_the_database))
    queue = queue_name(service, TaskCreated.routing_key)
    created += [queue, dead_letter_queue_name(queue)]
    await bus.start()
    await bus.publish(task_created("outage"))
    await wait_for(lambda: len(calls) == 4, timeout=20)
    await bus.stop()
    assert await depth(channel, dead_letter_queue_name(queue)) == 0
    assert await depth(channel, queue) == 0
