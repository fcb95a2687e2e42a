"""Gallery through the gateway with 10,000 models in the catalogue: first page and detail page."""

import httpx

from .common import HEADER, free_port, generator_name, load, start_process, stop_process, wait_http


async def _measure(models: int, cache_seconds: str, seconds: float, concurrency: int,
                   label: str) -> list:
    gallery_port, gateway_port = free_port(), free_port()
    gallery = start_process(["-m", "bench.servers", "gallery", str(gallery_port), str(models),
                             cache_seconds], cpu=0)
    gateway = start_process(["-m", "bench.servers", "gateway", str(gateway_port),
                             f"http://127.0.0.1:{gallery_port}"], cpu=0)
    base = f"http://127.0.0.1:{gateway_port}"
    try:
        await wait_http(f"http://127.0.0.1:{gallery_port}/healthz", timeout=120)
        await wait_http(f"{base}/healthz")
        async with httpx.AsyncClient(base_url=base) as client:
            pages = [await client.get("/api/gallery/models", params={"limit": 100, "offset": o})
                     for o in (0, 5000, 9900)]
        ids = [item["id"] for page in pages for item in page.json()["data"]["items"]]
        rows = [await load(f"first page, {label}", base,
                           ["/api/gallery/models?limit=20&sortBy=latest"],
                           concurrency=concurrency, seconds=seconds)]
        if cache_seconds != "0":
            rows.append(await load("detail page (random of 300 ids)", base,
                                   [f"/api/gallery/models/{i}" for i in ids],
                                   concurrency=concurrency, seconds=seconds))
        return rows
    finally:
        stop_process(gateway)
        stop_process(gallery)


async def run(models: int = 10_000, seconds: float = 5.0, concurrency: int = 16) -> str:
    rows = await _measure(models, "2", seconds, concurrency, "list cache 2 s (default)")
    rows += await _measure(models, "0", seconds, concurrency, "list cache off")
    return "\n".join([
        f"### Gallery through the gateway ({models:,} public models, in-process store, "
        f"{concurrency} connections, {seconds:.0f} s each; gallery and gateway on core 0, "
        f"load from {generator_name()})", "", HEADER,
        *(r.row() for r in rows)])
