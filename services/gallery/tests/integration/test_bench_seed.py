"""`bench_gallery.seed_catalogue` fills the projection with listable public models."""

import importlib.util
from pathlib import Path


def load_bench():
    path = Path(__file__).resolve().parents[2] / "bench_gallery.py"
    spec = importlib.util.spec_from_file_location("bench_gallery", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


async def test_seeded_models_are_listed_and_readable(gallery):
    ids = await load_bench().seed_catalogue(gallery.db, n=120)
    assert len(ids) == len(set(ids)) == 120
    body = (await gallery.get("/api/gallery/models", params={"limit": 100})).json()["data"]
    assert body["total"] == 120 and body["items"][0]["id"] == ids[-1]
    assert (await gallery.get(f"/api/gallery/models/{ids[0]}")).status_code == 200
