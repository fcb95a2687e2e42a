"""Benchmark helpers for `make bench`: fill the gallery's catalogue projection quickly.

`seed_catalogue(db, n)` writes n public, completed models straight into the projection through
the repository (no events), with varied counters and dates so every sort order has work to do.
`db` is the gallery's database (`app.state.infra.db`, or `client["lumi_gallery"]`)."""

import random
from datetime import UTC, datetime, timedelta
from typing import Any

from gallery.domain import PUBLIC, ModelStatus
from gallery.repository import MongoCatalogueRepository
from gallery.repository.catalogue import new_model_doc

BATCH = 1000


def bench_model(index: int, rng: random.Random, start: datetime) -> dict[str, Any]:
    model_id = f"bench-{index:06d}"
    at = start + timedelta(seconds=index)
    base = f"http://localhost:8000/files/models/{model_id}"
    return new_model_doc(
        model_id, user_id=f"bench-user-{index % 200:03d}", owner_name=f"Bench user {index % 200}",
        task_id=f"bench-task-{index:06d}", name=f"Bench model {index}", description=None,
        status=ModelStatus.READY.value, visibility=PUBLIC, version=5, meta_version=5,
        state_version=5, model_url=f"{base}/model.glb", format="GLB", glb_url=f"{base}/model.glb",
        obj_url=None, mtl_url=None, texture_url=None, stl_url=None,
        preview_image_url=f"{base}/preview.png", file_size=1_000_000 + index, face_count=20000,
        vertex_count=10000, created_at=at, completed_at=at, published_at=at,
        like_count=rng.randint(0, 500), favorite_count=rng.randint(0, 200),
        view_count=rng.randint(0, 5000), download_count=rng.randint(0, 300))


async def seed_catalogue(db: Any, n: int = 10000, *, seed: int = 42) -> list[str]:
    """Insert `n` public completed models; returns their ids (oldest first)."""
    repository = MongoCatalogueRepository(db)
    await repository.ensure_indexes()
    rng = random.Random(seed)
    start = datetime.now(UTC) - timedelta(seconds=n)
    ids: list[str] = []
    for offset in range(0, n, BATCH):
        docs = [bench_model(i, rng, start) for i in range(offset, min(n, offset + BATCH))]
        await repository.insert_many(docs)
        ids += [d["_id"] for d in docs]
    return ids
