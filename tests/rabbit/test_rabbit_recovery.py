"""The RabbitMQ transport through broker outages: after a restart or a kill -9 of the node,
publishing and consuming work again without restarting the service, and a channel left
closed on a live connection is reopened.

The outage tests stop and kill a throw-away node of their own (`rabbitmq-local.sh`, port
`RABBITMQ_TEST_NODE_PORT` or a free one), never the broker at RABBITMQ_URL."""

import asyncio
import os
import random
import signal
import socket
import subprocess
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest

from lumi_shared.contracts import TaskCreated
from lumi_shared.messaging import Subscription
from lumi_shared.messaging.rabbit import BEST_EFFORT_CHANNEL, RabbitBus
from lumi_shared.testing import wait_for

pytestmark = pytest.mark.rabbit

# RabbitMQ 3.10 (single node): a quorum queue declared a moment before a kill -9 can come back
# unable to take consumers (basic.consume times out, the broker closes the connection with
# INTERNAL_ERROR, for minutes). Services declare their queues long before any fault.
QUEUE_SETTLE = 5.0

SCRIPT = Path(os.environ.get("RABBITMQ_LOCAL_SCRIPT") or
              Path(__file__).resolve().parents[3] / "shared" / "tools" / "rabbitmq-local.sh")


def _free(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) != 0


def _node_port() -> int:
    if port := os.environ.get("RABBITMQ_TEST_NODE_PORT"):
        return int(port)
    for _ in range(50):  # the script also uses PORT+20000 (distribution) and PORT+30000 (epmd)
        port = random.randint(21000, 35000)
        if all(_free(p) for p in (port, port + 20000, port + 30000)):
            return port
    raise RuntimeError("no free port for a test RabbitMQ node")


@dataclass
class Node:
    port: int
    folder: Path
    url: str = ""

    def _run(self, verb: str) -> str:
        done = subprocess.run(["bash", str(SCRIPT), verb, str(self.port), str(self.folder)],
                              capture_output=True, text=True, timeout=180)
        if verb == "start" and done.returncode:
            raise RuntimeError(f"rabbitmq start failed: {done.stderr[-1500:]}")
        return done.stdout.strip()

    def start(self) -> None:
        self.url = self._run("start").splitlines()[-1]

    def stop(self) -> None:
        self._run("stop")

    def kill9(self) -> None:
        os.kill(int((self.folder / "rabbitmq.pid").read_text().strip()), signal.SIGKILL)
        self._run("stop")  # nothing left to stop gracefully: frees the node's epmd


@pytest.fixture
def own_node(rabbit_url, tmp_path):
    if not SCRIPT.exists():
        pytest.skip(f"{SCRIPT} not found: cannot run a throw-away RabbitMQ node")
    node = Node(_node_port(), tmp_path / "rabbitmq")
    node.start()
    yield node
    node.stop()


def task_created(prompt: str) -> TaskCreated:
    return TaskCreated(task_id=uuid.uuid4().hex, user_id="u1", prompt=prompt)


def consumer(received: list[str]):
    async def handler(event):
        received.append(event.prompt)

    return handler


async def consuming_bus(url: str, received: list[str]) -> RabbitBus:
    bus = RabbitBus(url, publish_timeout=30.0)
    bus.subscribe(Subscription(f"r{uuid.uuid4().hex[:8]}", TaskCreated, consumer(received)))
    await bus.start()
    await bus.publish(task_created("before"))
    await wait_for(lambda: "before" in received, timeout=10)
    return bus


@pytest.mark.parametrize("outage", ["stop", "kill9"])
async def test_publish_and_consume_work_again_after_the_broker_comes_back(own_node, outage):
    received: list[str] = []
    bus = await consuming_bus(own_node.url, received)
    await asyncio.sleep(QUEUE_SETTLE)
    try:
        await asyncio.to_thread(getattr(own_node, outage))
        await asyncio.to_thread(own_node.start)
        await bus.publish(task_created("right after"))  # waits for the channel, no error
        await wait_for(lambda: "right after" in received, timeout=30)
        await bus.publish(task_created("later"))
        await wait_for(lambda: "later" in received, timeout=10)
        assert await bus.ping()
    finally:
        await bus.stop()


async def test_channels_left_closed_on_a_live_connection_are_reopened(rabbit_url):
    received: list[str] = []
    broadcast: list[str] = []

    async def watch(event):
        broadcast.append(event.prompt)

    bus = RabbitBus(rabbit_url, publish_timeout=30.0, channel_grace=1.0)
    bus.subscribe(Subscription(f"r{uuid.uuid4().hex[:8]}", TaskCreated, consumer(received)))
    bus.subscribe_broadcast("recovery-test", watch)
    await bus.start()
    try:
        channels = [await bus._channel(), await bus._channel(BEST_EFFORT_CHANNEL)]
        for channel in channels:
            await channel.close()  # aio-pika's robust restore never brings back a closed channel
        assert all(channel.is_closed for channel in channels)
        await bus.publish(task_created("after the close"))
        await wait_for(lambda: "after the close" in received, timeout=15)  # consumers too
        await wait_for(lambda: "after the close" in broadcast, timeout=15)
        assert not any(channel.is_closed for channel in channels)
        assert await bus.ping()
    finally:
        await bus.stop()
