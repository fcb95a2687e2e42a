"""Load generation and process helpers shared by the benchmarks."""

import asyncio
import contextlib
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass

import httpx

LOG_DIR = os.environ.get("BENCH_LOG_DIR", tempfile.gettempdir())
HEADER = ("| target | req/s | p50 ms | p99 ms | max ms | server CPU µs/req | requests | errors |\n"
          "|---|---|---|---|---|---|---|---|")


@dataclass
class Result:
    name: str
    requests: int
    errors: int
    rps: float
    p50_ms: float
    p99_ms: float
    max_ms: float = float("nan")
    cpu_us: float | None = None  # CPU time of the server processes per request served

    @property
    def cpu(self) -> str:
        return "n/a" if self.cpu_us is None else f"{self.cpu_us:,.0f}"

    def row(self) -> str:
        return (f"| {self.name} | {self.rps:,.0f} | {self.p50_ms:.2f} | {self.p99_ms:.2f} "
                f"| {self.max_ms:.0f} | {self.cpu} | {self.requests} | {self.errors} |")


def cpu_seconds(pids: list[int]) -> float | None:
    """User + system CPU time of these processes so far (Linux /proc), else None. Divided by
    the requests served it is a figure that other load on the machine barely moves."""
    total = 0.0
    try:
        for pid in pids:
            with open(f"/proc/{pid}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return None
    return total


def percentile(data: list[float], q: float) -> float:
    ordered = sorted(data)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_process(args: list[str], cpu: int | None = None) -> subprocess.Popen:
    """A server process (its log goes to $BENCH_LOG_DIR), optionally pinned to one core."""
    command = [sys.executable, *args]
    if cpu is not None and shutil.which("taskset"):
        command = ["taskset", "-c", str(cpu), *command]
    log = open(os.path.join(LOG_DIR, f"lumi-bench-{args[2]}-{os.getpid()}.log"), "w")
    return subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)


def stop_process(process: subprocess.Popen) -> None:
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(10)
    except ProcessLookupError:
        pass
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(10)


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


@contextlib.asynccontextmanager
async def gallery_behind_gateway(models: int, cache_seconds: str, gallery_port: int = 0,
                                 gateway_port: int = 0, pids: list[int] | None = None):
    """A seeded gallery process and a gateway process in front of it, both on core 0;
    yields the gateway's base URL (and adds their process ids to `pids`)."""
    gallery_port, gateway_port = gallery_port or free_port(), gateway_port or free_port()
    gallery = start_process(["-m", "bench.servers", "gallery", str(gallery_port), str(models),
                             cache_seconds], cpu=0)
    gateway = start_process(["-m", "bench.servers", "gateway", str(gateway_port),
                             f"http://127.0.0.1:{gallery_port}"], cpu=0)
    if pids is not None:
        pids += [gallery.pid, gateway.pid]
    try:
        await wait_http(f"http://127.0.0.1:{gallery_port}/healthz", timeout=300)
        await wait_http(f"http://127.0.0.1:{gateway_port}/healthz")
        yield f"http://127.0.0.1:{gateway_port}"
    finally:
        stop_process(gateway)
        stop_process(gallery)


def generator_name() -> str:
    return ("wrk, pinned to core 1" if shutil.which("wrk")
            else "the Python asyncio client (install wrk for tighter figures)")


async def load(name: str, base: str, paths: list[str], *, concurrency: int = 16,
               seconds: float = 5.0, headers: dict[str, str] | None = None,
               pids: list[int] | None = None) -> Result:
    """Closed-loop GETs spread over `paths`: wrk when installed, else an asyncio client.
    With `pids` (the server processes), also their CPU time per request served."""
    before = cpu_seconds(pids) if pids else None
    if shutil.which("wrk"):
        result = await _wrk(name, base, paths, concurrency, seconds, headers or {})
    else:
        result = await _asyncio_loop(name, base, paths, concurrency, seconds,
                                     headers=headers or {})
    after = cpu_seconds(pids) if pids else None
    if before is not None and after is not None and result.requests:
        result.cpu_us = (after - before) / result.requests * 1e6
    return result


def _ms(text: str) -> float:
    number = float(re.match(r"[\d.]+", text).group(0))
    unit = text[len(re.match(r"[\d.]+", text).group(0)):]
    return number * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}[unit]


async def _wrk(name: str, base: str, paths: list[str], concurrency: int,
               seconds: float, headers: dict[str, str]) -> Result:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write("paths = {" + ",".join(f'"{p}"' for p in paths) + "}\n"
                     "request = function() return wrk.format('GET', paths[math.random(#paths)]) end\n")
    command = ["wrk", "-t1", f"-c{concurrency}", f"-d{max(1, int(seconds))}s", "--latency",
               "--timeout", "10s", "-s", script.name, base]
    for key, value in headers.items():
        command[1:1] = ["-H", f"{key}: {value}"]
    if shutil.which("taskset"):
        command = ["taskset", "-c", "1", *command]
    proc = await asyncio.create_subprocess_exec(*command, stdout=asyncio.subprocess.PIPE)
    out = (await proc.communicate())[0].decode()
    os.unlink(script.name)
    errors = sum(int(n) for n in re.findall(r"Non-2xx or 3xx responses: (\d+)", out))
    errors += sum(int(n) for n in re.findall(r"(?:connect|read|write|timeout) (\d+)", out))
    return Result(name, int(re.search(r"(\d+) requests in", out).group(1)), errors,
                  float(re.search(r"Requests/sec:\s+(\S+)", out).group(1)),
                  _ms(re.search(r"^\s+50%\s+(\S+)", out, re.M).group(1)),
                  _ms(re.search(r"^\s+99%\s+(\S+)", out, re.M).group(1)),
                  _ms(re.search(r"^\s+Latency\s+\S+\s+\S+\s+(\S+)", out, re.M).group(1)))


async def _asyncio_loop(name: str, base: str, paths: list[str], concurrency: int,
                        seconds: float, warmup: float = 1.0,
                        headers: dict[str, str] | None = None) -> Result:
    latencies: list[float] = []
    errors = 0
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=10,
                                 headers=headers) as client:
        measure_from = time.perf_counter() + warmup
        end = measure_from + seconds

        async def worker() -> None:
            nonlocal errors
            while (start := time.perf_counter()) < end:
                try:
                    ok = (await client.get(random.choice(paths))).status_code < 400
                except httpx.HTTPError:
                    ok = False
                if start >= measure_from:
                    if ok:
                        latencies.append((time.perf_counter() - start) * 1000)
                    else:
                        errors += 1

        await asyncio.gather(*(worker() for _ in range(concurrency)))
    return Result(name, len(latencies) + errors, errors, (len(latencies) + errors) / seconds,
                  percentile(latencies, 0.5), percentile(latencies, 0.99),
                  max(latencies, default=float("nan")))
