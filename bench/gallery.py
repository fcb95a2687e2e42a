"""Gallery through the gateway with 10,000 models in the catalogue: first page and detail page."""

import httpx

from .common import HEADER, gallery_behind_gateway, generator_name, load


async def _measure(models: int, cache_seconds: str, seconds: float, concurrency: int,
                   label: str) -> list:
    pids: list[int] = []
    async with gallery_behind_gateway(models, cache_seconds, pids=pids) as base:
        async with httpx.AsyncClient(base_url=base) as client:
            pages = [await client.get("/api/gallery/models", params={"limit": 100, "offset": o})
                     for o in (0, 5000, 9900)]
        ids = [item["id"] for page in pages for item in page.json()["data"]["items"]]
        rows = [await load(f"first page, {label}", base,
                           ["/api/gallery/models?limit=20&sortBy=latest"],
                           concurrency=concurrency, seconds=seconds, pids=pids)]
        if cache_seconds != "0":
            rows.append(await load("detail page (random of 300 ids)", base,
                                   [f"/api/gallery/models/{i}" for i in ids],
                                   concurrency=concurrency, seconds=seconds, pids=pids))
        return rows


async def run(models: int = 10_000, seconds: float = 5.0, concurrency: int = 16) -> str:
    rows = await _measure(models, "2", seconds, concurrency, "list cache 2 s (default)")
    rows += await _measure(models, "0", seconds, concurrency, "list cache off")
    return "\n".join([
        f"### Gallery through the gateway ({models:,} public models, in-process store, "
        f"{concurrency} connections, {seconds:.0f} s each; gallery and gateway on core 0, "
        f"load from {generator_name()})", "", HEADER,
        *(r.row() for r in rows)])
