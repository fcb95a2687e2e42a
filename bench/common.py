"""Load generation and process helpers shared by the benchmarks."""

import asyncio
import os
import signal
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import httpx


@dataclass
class Result:
    name: str
    requests: int
    errors: int
    seconds: float
    latencies_ms: list[float]

    @property
    def rps(self) -> float:
        return self.requests / self.seconds

    def pct(self, q: float) -> float:
        if not self.latencies_ms:
            return float("nan")
        data = sorted(self.latencies_ms)
        return data[min(len(data) - 1, int(q * len(data)))]

    def row(self) -> str:
        return (f"| {self.name} | {self.rps:,.0f} | {self.pct(0.50):.2f} | {self.pct(0.99):.2f} "
                f"| {self.requests} | {self.errors} |")


LOG_DIR = os.environ.get("BENCH_LOG_DIR", "/tmp")
HEADER = "| target | req/s | p50 ms | p99 ms | requests | errors |\n|---|---|---|---|---|---|"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_process(args: list[str], env: dict[str, str] | None = None,
                  cpu: int | None = None) -> subprocess.Popen:
    command = [sys.executable, *args]
    if cpu is not None and os.path.exists("/usr/bin/taskset"):
        command = ["taskset", "-c", str(cpu), *command]
    log = open(os.path.join(LOG_DIR, f"{args[-1 if len(args) < 3 else 2]}-{os.getpid()}.log"), "w")
    return subprocess.Popen(command, env={**os.environ, **(env or {})},
                            stdout=log, stderr=subprocess.STDOUT, start_new_session=True)


def stop_process(process: subprocess.Popen) -> None:
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(10)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        os.killpg(process.pid, signal.SIGKILL)


async def wait_http(url: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    async with httpx.AsyncClient() as client:
        while time.monotonic() < deadline:
            try:
                if (await client.get(url, timeout=1)).status_code < 500:
                    return
            except httpx.HTTPError:
                pass
            await asyncio.sleep(0.1)
    raise RuntimeError(f"{url} did not come up")


async def closed_loop(name: str, call: Callable[[httpx.AsyncClient], Awaitable[httpx.Response]],
                      *, concurrency: int = 16, seconds: float = 5.0,
                      warmup: float = 1.0) -> Result:
    """`concurrency` workers issue requests back to back; latencies after the warm-up."""
    latencies: list[float] = []
    errors = 0
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(limits=limits, timeout=10) as client:
        start = time.perf_counter()
        measure_from = start + warmup
        end = measure_from + seconds

        async def worker() -> None:
            nonlocal errors
            while (now := time.perf_counter()) < end:
                try:
                    response = await call(client)
                    ok = response.status_code < 400
                except httpx.HTTPError:
                    ok = False
                done = time.perf_counter()
                if now >= measure_from:
                    if ok:
                        latencies.append((done - now) * 1000)
                    else:
                        errors += 1

        await asyncio.gather(*(worker() for _ in range(concurrency)))
    return Result(name, len(latencies) + errors, errors, seconds, latencies)


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")
