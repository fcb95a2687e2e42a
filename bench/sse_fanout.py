"""SSE fan-out: N clients connected to ONE gateway process; events published to RabbitMQ by
this process reach the clients through the gateway's broadcast queue. Latency is measured
from just before `publish` to the moment the client parses the frame (same host clock)."""

import asyncio
import json
import os
import random
import resource
import time

import httpx

from lumi_shared.contracts import ImageGenerating
from lumi_shared.messaging.rabbit import RabbitBus

from .common import free_port, start_process, stop_process, wait_http

DEFAULT_RABBIT = "amqp://guest:guest@127.0.0.1:5672/"


def _rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


async def _client(http: httpx.AsyncClient, user: str, connected: asyncio.Event, counter: list,
                  target: int, latencies: list[float], stop: asyncio.Event) -> None:
    headers = {"authorization": f"Bearer tok-{user}"}
    for attempt in range(5):  # a refused connection retries later, as a browser would
        try:
            await _listen(http, user, headers, connected, counter, target, latencies, stop)
            return
        except RetryLater:
            await asyncio.sleep(1 + attempt)


class RetryLater(Exception):
    pass


async def _listen(http, user, headers, connected, counter, target, latencies, stop) -> None:
    async with http.stream("GET", f"/api/tasks/task-{user}/events", headers=headers) as response:
        if response.status_code != 200:
            raise RetryLater()
        event = None
        async for line in response.aiter_lines():
            if line.startswith("event:"):
                event = line[6:].strip()
            elif line.startswith("data:") and event == "task:init":
                counter[0] += 1
                if counter[0] == target:
                    connected.set()
            elif line.startswith("data:") and event == "image:generating":
                sent = int(json.loads(line[5:])["imageId"])
                latencies.append((time.time_ns() - sent) / 1e6)
            if stop.is_set():
                return


async def run(clients: int = 1000, events: int = 2000, rate: float = 200.0) -> str:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, 65536), hard))
    rabbit = os.environ.get("RABBITMQ_URL", DEFAULT_RABBIT)
    fakes_port, gateway_port = free_port(), free_port()
    fakes = start_process(["-m", "bench.servers", "fakes", str(fakes_port)], cpu=0)
    gateway = start_process(["-m", "bench.servers", "gateway", str(gateway_port),
                             f"http://127.0.0.1:{fakes_port}", rabbit], cpu=0)
    bus = RabbitBus(rabbit)
    tasks: list[asyncio.Task] = []
    try:
        await wait_http(f"http://127.0.0.1:{fakes_port}/readyz")
        await wait_http(f"http://127.0.0.1:{gateway_port}/healthz")
        await bus.start()
        rss_idle = _rss_mb(gateway.pid)
        limits = httpx.Limits(max_connections=clients + 10, max_keepalive_connections=0)
        timeout = httpx.Timeout(60, connect=30)
        latencies: list[float] = []
        connected, stop, counter = asyncio.Event(), asyncio.Event(), [0]
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{gateway_port}", limits=limits,
                                     timeout=timeout) as http:
            started = time.perf_counter()
            for wave in range(0, clients, 50):  # clients arrive at about 100 per second
                tasks += [asyncio.create_task(_client(http, f"u{i}", connected, counter, clients,
                                                      latencies, stop))
                          for i in range(wave, min(clients, wave + 50))]
                await asyncio.sleep(0.5)
            await asyncio.wait_for(connected.wait(), 120)
            connect_s = time.perf_counter() - started
            rss_connected = _rss_mb(gateway.pid)
            interval = 1 / rate
            next_at = time.perf_counter()
            for _ in range(events):
                user = f"u{random.randrange(clients)}"
                await bus.publish(ImageGenerating(task_id=f"task-{user}", user_id=user,
                                                  image_id=str(time.time_ns()), index=0))
                next_at += interval
                await asyncio.sleep(max(0.0, next_at - time.perf_counter()))
            deadline = time.monotonic() + 15
            while len(latencies) < events and time.monotonic() < deadline:
                await asyncio.sleep(0.05)
            stop.set()
            held = counter[0]
        data = sorted(latencies)

        def pct(q: float) -> float:
            return data[min(len(data) - 1, int(q * len(data)))] if data else float("nan")

        return "\n".join([
            f"### SSE fan-out ({clients} clients on one gateway process, {events} events at "
            f"{rate:.0f}/s through RabbitMQ; gateway and fakes on core 0, clients + publisher unpinned)",
            "", "| figure | value |", "|---|---|",
            f"| connections held | {held} (all connected in {connect_s:.1f} s) |",
            f"| events delivered / published | {len(data)} / {events} |",
            f"| publish -> client p50 | {pct(0.5):.1f} ms |",
            f"| publish -> client p99 | {pct(0.99):.1f} ms |",
            f"| publish -> client max | {data[-1] if data else float('nan'):.1f} ms |",
            f"| gateway RSS idle -> {clients} clients | {rss_idle:.0f} MB -> {rss_connected:.0f} MB "
            f"({(rss_connected - rss_idle) * 1024 / clients:.0f} KiB per connection) |",
        ])
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await bus.stop()
        stop_process(gateway)
        stop_process(fakes)
