"""On RabbitMQ: a client reads some frames, its gateway stops, events happen while no gateway
runs and after two new replicas started; the client reconnects to one of them with
`Last-Event-ID` and gets every missed frame exactly once, in order, then the live ones with
the same ids another replica gives its own client."""

import uuid
from contextlib import AsyncExitStack

import httpx
import pytest

from gateway.config import Settings
from gateway.history import HISTORY_QUEUE
from gateway.main import create_app
from lumi_shared import contracts as c
from lumi_shared.docstore import InMemoryClient
from lumi_shared.messaging.rabbit import RabbitBus
from lumi_shared.testing import serve_app, wait_for

pytestmark = pytest.mark.rabbit
BEARER = {"authorization": "Bearer good-token"}


@pytest.fixture
async def publisher(rabbit_url):
    bus = RabbitBus(rabbit_url)
    await bus.start()
    yield bus
    await bus.stop()


async def test_resume_after_a_gateway_restart_gets_every_missed_frame_once_in_order(
        rabbit_url, upstream_urls, tmp_path, publisher, fake_generation, read_frames):
    task = f"t-{uuid.uuid4().hex[:8]}"
    store = InMemoryClient()  # the gateway's database: it outlives the gateway processes

    def event(i: int) -> c.Event:
        if i % 3 == 2:
            return c.TaskStatusChanged(task_id=task, user_id="u1", status=f"S{i}", phase="P")
        return c.ImageGenerating(task_id=task, user_id="u1", image_id=f"i{i}", index=i)

    async def recorded(app, count: int) -> bool:
        doc = await app.state.gateway.history.load(task)
        return doc is not None and doc["seq"] >= count

    async with serve_app(fake_generation({task: "u1"})) as generation_url:
        def gateway():
            return create_app(Settings(LUMI_ENV="test", LUMI_DATA_DIR=tmp_path,
                                       RABBITMQ_URL=rabbit_url,
                                       **{**upstream_urls, "GENERATION_URL": generation_url}),
                              mongo=store)

        first = gateway()
        async with serve_app(first) as url, httpx.AsyncClient(base_url=url, timeout=10) as client:
            async with client.stream("GET", f"/api/tasks/{task}/events", headers=BEARER) as resp:
                await wait_for(lambda: first.state.gateway.hub.count == 1)
                for i in range(3):
                    await publisher.publish(event(i))
                seen = await read_frames(resp, 5)
            assert [f.event for f in seen] == ["task:init", "status", "image:generating",
                                               "image:generating", "status"]
            await publisher.publish(event(3))  # missed: the client is away, the gateway runs
            await wait_for(lambda: recorded(first, 4), 10)

        for i in (4, 5):  # no gateway runs: kept in the shared history queue
            await publisher.publish(event(i))

        async with AsyncExitStack() as stack:  # two new replicas
            replicas = [gateway(), gateway()]
            urls = [await stack.enter_async_context(serve_app(app)) for app in replicas]
            await wait_for(lambda: recorded(replicas[0], 6), 10)
            for i in (6, 7):
                await publisher.publish(event(i))
            await wait_for(lambda: recorded(replicas[1], 8), 10)

            other = await stack.enter_async_context(httpx.AsyncClient(base_url=urls[0], timeout=10))
            live_other = await stack.enter_async_context(
                other.stream("GET", f"/api/tasks/{task}/events", headers=BEARER))
            await read_frames(live_other, 2)  # its snapshot: task:init, status
            client = await stack.enter_async_context(httpx.AsyncClient(base_url=urls[1], timeout=10))
            resumed = await stack.enter_async_context(client.stream(
                "GET", f"/api/tasks/{task}/events", headers={**BEARER, "last-event-id": seen[-1].id}))
            assert resumed.status_code == 200
            missed = await read_frames(resumed, 5)
            await publisher.publish(event(8))
            live = (await read_frames(resumed, 1))[0]
            assert (await read_frames(live_other, 1))[0].id == live.id

    assert [(f.event, f.data) for f in missed] == [
        ("image:generating", {"imageId": "i3", "index": 3}),
        ("image:generating", {"imageId": "i4", "index": 4}),
        ("status", {"phase": "P", "status": "S5"}),
        ("image:generating", {"imageId": "i6", "index": 6}),
        ("image:generating", {"imageId": "i7", "index": 7})]
    epoch, seq = seen[-1].id.rsplit("-", 1)
    assert [f.id for f in [*missed, live]] == [f"{epoch}-{int(seq) + k}" for k in range(1, 7)]
    assert live.event == "status" and live.data["status"] == "S8"
    doc = await store["lumi_gateway"]["sse_history"].find_one({"_id": task})
    assert doc["seq"] == 9 and len({f["eid"] for f in doc["frames"]}) == 9


async def test_the_shared_history_queue_is_bounded_with_one_active_consumer(
        rabbit_url, upstream_urls, tmp_path):
    import aio_pika

    settings = Settings(LUMI_ENV="test", LUMI_DATA_DIR=tmp_path, RABBITMQ_URL=rabbit_url,
                        **upstream_urls)
    expected = {"x-single-active-consumer": True, "x-max-length": 100_000,
                "x-overflow": "drop-head", "x-message-ttl": 3_600_000}
    connection = await aio_pika.connect(rabbit_url)
    try:
        channel = await connection.channel()
        await channel.queue_delete(HISTORY_QUEUE)
        async with serve_app(create_app(settings)):
            # Declaring an existing queue with other arguments is refused by RabbitMQ.
            await channel.declare_queue(HISTORY_QUEUE, durable=True, arguments=expected)
            unbounded = {k: v for k, v in expected.items() if k != "x-max-length"}
            with pytest.raises(aio_pika.exceptions.ChannelPreconditionFailed):
                await channel.declare_queue(HISTORY_QUEUE, durable=True, arguments=unbounded)
        channel = await connection.channel()
        await channel.queue_delete(HISTORY_QUEUE)
    finally:
        await connection.close()
