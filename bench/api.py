"""The three hot public endpoints (tasks list, gallery list, gallery detail) through the gateway,
embedded (one process) and multi-process (gallery and gateway as separate processes), at N
items, with the gallery's list cache on and off, at several connection counts.

Servers run pinned to core 0, the load generator (wrk when installed, else the asyncio client)
on core 1. Each server's endpoints are warmed up for 2 s first (that burst, which also opens
the gateway's pooled connections, is printed on its own lines), then measured. Figures are
printed, never asserted. Environment knobs (defaults in brackets):
BENCH_SECONDS [10] per measurement, BENCH_SIZES [200,2000], BENCH_CONNECTIONS [50,1],
BENCH_CACHE [on,off], BENCH_MODES [embedded,multi], BENCH_PORT_BASE [8100].
"""

import asyncio
import json
import os
import tempfile
import time
from pathlib import Path

import httpx

from .common import gallery_behind_gateway, generator_name, load, start_process, stop_process

HEADER = ("| endpoint | mode | N | list cache | conns | req/s | p50 ms | p99 ms | max ms "
          "| server CPU µs/req | body bytes | errors |\n"
          "|---|---|---|---|---|---|---|---|---|---|---|---|")


COLD: list[str] = []


def _env_list(name: str, default: str) -> list[str]:
    return [v.strip() for v in os.environ.get(name, default).split(",") if v.strip()]


async def _wait_file(path: Path, process, timeout: float) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if path.exists() and path.stat().st_size:
            return json.loads(path.read_text())
        if process.poll() is not None:
            raise RuntimeError("the bench server exited during seeding (see its log)")
        await asyncio.sleep(0.2)
    raise RuntimeError("seeding did not finish in time")


async def _body_bytes(base: str, path: str, headers: dict[str, str]) -> int:
    async with httpx.AsyncClient(base_url=base, headers=headers, timeout=30) as client:
        return len((await client.get(path)).content)


async def _measure(rows: list[str], base: str, endpoints: list[tuple[str, list[str], dict]],
                   label: str, n: int, cache: str, seconds: float, pids: list[int]) -> None:
    # Warm-up, not in the table: the servers just started, so the first burst of concurrent
    # requests also opens the gateway's connections to the services; its slowest answer is
    # reported on its own line (COLD), the rows measure the steady state.
    most = max(int(c) for c in _env_list("BENCH_CONNECTIONS", "50,1"))
    for name, paths, headers in endpoints:
        r = await load(name, base, paths, concurrency=most, seconds=2, headers=headers, pids=pids)
        COLD.append(f"- {name}, {label}, N = {n:,}, cache {cache}: first 2 s after start at "
                    f"c{most}: {r.rps:,.0f} req/s, p99 {r.p99_ms:.0f} ms, max {r.max_ms:.0f} ms")
    for conns in (int(c) for c in _env_list("BENCH_CONNECTIONS", "50,1")):
        for name, paths, headers in endpoints:
            size = await _body_bytes(base, paths[0], headers)
            r = await load(name, base, paths, concurrency=conns, seconds=seconds,
                           headers=headers, pids=pids)
            rows.append(f"| {name} | {label} | {n:,} | {cache} | {conns} | {r.rps:,.0f} "
                        f"| {r.p50_ms:.1f} | {r.p99_ms:.1f} | {r.max_ms:.0f} | {r.cpu} "
                        f"| {size:,} | {r.errors} |")
            print(rows[-1], flush=True)


async def _embedded(rows: list[str], n: int, cache: str, seconds: float, port: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        ready = Path(tmp) / "ready.json"
        server = start_process(["-m", "bench.api_server", str(port), str(n),
                                "2" if cache == "on" else "0", str(ready)], cpu=0)
        try:
            seeded = await _wait_file(ready, server, timeout=900)
            auth = {"Authorization": seeded["token"]}
            base = f"http://127.0.0.1:{port}"
            await _measure(rows, base, [
                ("GET /api/tasks?limit=20", ["/api/tasks?limit=20"], auth),
                ("GET /api/gallery/models?limit=20", ["/api/gallery/models?limit=20"], {}),
                ("GET /api/gallery/models/{id}",
                 [f"/api/gallery/models/{i}" for i in seeded["models"]], {}),
            ], "embedded", n, cache, seconds, [server.pid])
        finally:
            stop_process(server)


async def _multi(rows: list[str], n: int, cache: str, seconds: float, port: int) -> None:
    pids: list[int] = []
    async with gallery_behind_gateway(n, "2" if cache == "on" else "0", port + 1,
                                      port + 2, pids=pids) as base:
        async with httpx.AsyncClient(base_url=base, timeout=30) as client:
            page = await client.get("/api/gallery/models", params={"limit": 100})
        ids = [item["id"] for item in page.json()["data"]["items"]]
        await _measure(rows, base, [
            ("GET /api/gallery/models?limit=20", ["/api/gallery/models?limit=20"], {}),
            ("GET /api/gallery/models/{id}", [f"/api/gallery/models/{i}" for i in ids], {}),
        ], "multi-process", n, cache, seconds, pids)


async def run() -> str:
    seconds = float(os.environ.get("BENCH_SECONDS", "10"))
    port = int(os.environ.get("BENCH_PORT_BASE", "8100"))
    modes = _env_list("BENCH_MODES", "embedded,multi")
    rows: list[str] = []
    print(HEADER, flush=True)
    for n in (int(s) for s in _env_list("BENCH_SIZES", "200,2000")):
        for cache in _env_list("BENCH_CACHE", "on,off"):
            if "embedded" in modes:
                await _embedded(rows, n, cache, seconds, port)
            if "multi" in modes:
                await _multi(rows, n, cache, seconds, port)
    return "\n".join([
        f"### Public API through the gateway ({seconds:.0f} s per row; servers on core 0, "
        f"load from {generator_name()}; multi-process = gallery and gateway processes, "
        "tasks need the whole system so they run embedded only)", "", HEADER, *rows, "",
        "Warm-up of each endpoint right after its servers started (not in the table):", "",
        *COLD])
