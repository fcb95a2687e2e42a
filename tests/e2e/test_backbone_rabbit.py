"""The same whole system, each service with its own RabbitMQ connection (as separate processes),
proving the backbone: HTTP -> gateway -> generation publishes `ImageSelected` -> modeling consumes
it (surviving one database failure through redelivery) -> `ModelReady` -> generation and gallery.
A poison `image.selected` message ends in modeling's dead-letter queue."""

import aio_pika
import httpx
import pytest

from lumi_embedded.harness import FAST, FINAL, FlakyCollections, login, task_when
from lumi_embedded.system import running_system
from lumi_shared.docstore import InMemoryClient
from lumi_shared.messaging.topology import EXCHANGE, dead_letter_queue_name
from lumi_shared.testing import wait_for

pytestmark = [pytest.mark.rabbit, pytest.mark.e2e]

MODELING_QUEUE = "modeling.image.selected"


async def dlq_depth(channel) -> int:
    queue = await channel.declare_queue(dead_letter_queue_name(MODELING_QUEUE), passive=True)
    return queue.declaration_result.message_count


async def test_backbone_over_rabbitmq_with_redelivery_and_dead_lettering(rabbit_url, tmp_path):
    stores = {}
    flaky = FlakyCollections(InMemoryClient(), "models", failures=1)

    def mongo_for(service):
        stores[service] = flaky if service == "modeling" else InMemoryClient()
        return stores[service]

    connection = await aio_pika.connect(rabbit_url)
    channel = await connection.channel()
    async with running_system(tmp_path, rabbit_url=rabbit_url, mongo_for=mongo_for,
                              overrides=FAST) as system:
        # The broker outlives test runs: start from empty queues of the system under test.
        for app in system.apps.values():
            for name in getattr(app.state.infra.bus, "queue_names", []):
                for queue in (name, dead_letter_queue_name(name)):
                    await (await channel.declare_queue(queue, passive=True)).purge()
        async with httpx.AsyncClient(base_url=system.url, timeout=10) as client:
            me = await login(client, system.data_dir, "rabbit@example.com")
            task_id = (await client.post("/api/tasks", json={"prompt": "a lighthouse"},
                                         headers=me)).json()["data"]["id"]
            ready = await task_when(client, task_id, me,
                                    lambda t: t["phase"] == "AWAITING_SELECTION" or t["status"] in FINAL)
            assert ready["status"] == "IMAGE_COMPLETED"

            exchange = await channel.get_exchange(EXCHANGE)
            await exchange.publish(aio_pika.Message(b'{"broken": '), routing_key="image.selected")

            flaky.armed = True  # the next write to modeling's models fails once
            selected = await client.patch(f"/api/tasks/{task_id}", json={"selectedImageIndex": 1},
                                          headers=me)
            assert selected.status_code == 200, selected.text
            done = await task_when(client, task_id, me, lambda t: t["status"] in FINAL, timeout=60)
            assert done["status"] == "COMPLETED"
            assert flaky.injected == 1, "the consumer never met the injected failure"

            models = await flaky.inner["lumi_modeling"]["models"].find({}).to_list()
            assert [m["_id"] for m in models] == [done["model"]["id"]]
            await wait_for(lambda: dlq_depth(channel), timeout=15)
            assert await dlq_depth(channel) == 1

            async def in_gallery():
                items = (await client.get("/api/gallery/models")).json()["data"]["items"]
                return any(i["id"] == done["model"]["id"] for i in items)

            await wait_for(in_gallery, 15)

            assert (await client.post("/api/auth/logout", headers=me)).status_code == 200
            assert (await client.get("/api/tasks", headers=me)).status_code == 401
    await connection.close()
