"""Fixtures of the printing tests: in-process bus and store, a storage folder, fast settings,
an event recorder, and a finished model announced the way modeling announces it."""

from datetime import UTC, datetime

import pytest
import trimesh

from lumi_shared.contracts import ModelFiles, ModelReady, TaskCreated, uuid7
from lumi_shared.testing import app_factory, as_user, wait_for
from printing.config import Settings
from printing.main import create_app
from printing.printers.registry import bind_code

FILES_BASE = "http://files.test/files"


@pytest.fixture
def settings(tmp_path) -> Settings:
    return Settings(
        LUMI_ENV="test", LUMI_DATA_DIR=tmp_path, STORAGE_PUBLIC_BASE_URL=FILES_BASE,
        OUTBOX_POLL_INTERVAL=0.05, WORKER_POLL_INTERVAL=0.05, PRINTER_POLL_INTERVAL=0.05,
        JOB_LEASE=2.0, PRINTER_SIM_SPEEDUP=2000.0, PRINTER_SIM_HEAT_SECONDS=0.3,
        PRINTER_SILENCE_TIMEOUT=1.0, PRINTER_OFFLINE_AFTER=1.0, PRINTER_REQUEST_TIMEOUT=2.0,
        SLICE_TIMEOUT=120.0, SLICER="planar")


@pytest.fixture
def make_app(settings, mongo, bus, storage):
    """`make_app(**overrides)`; `app` and `client` (lumi_shared.test_fixtures) use its default."""
    return app_factory(create_app, settings, mongo=mongo, bus=bus, storage=storage)


@pytest.fixture
def code(settings):
    return lambda name: bind_code(settings.PRINTER_BIND_SECRET, name)


def headers(user: str) -> dict[str, str]:
    return as_user(user)


async def announce_model(bus, storage, *, user: str = "alice", visibility: str = "PUBLIC",
                         mesh: trimesh.Trimesh | None = None, version: int = 3) -> dict[str, str]:
    """TaskCreated + ModelReady with an STL in storage, as generation and modeling send them."""
    task_id, model_id = uuid7(), uuid7()
    mesh = mesh or trimesh.creation.annulus(r_min=4, r_max=10, height=6, sections=48)
    stl = await storage.put(f"models/{model_id}/model.stl", mesh.export(file_type="stl"))
    now = datetime.now(UTC)
    await bus.publish(TaskCreated(task_id=task_id, user_id=user, prompt="a tube"))
    await bus.publish(ModelReady(
        task_id=task_id, user_id=user, model_id=model_id, version=version, name="tube",
        visibility=visibility, created_at=now, completed_at=now,
        files=ModelFiles(model_url=stl.replace(".stl", ".glb"), format="GLB", stl_url=stl)))
    return {"task_id": task_id, "model_id": model_id}


async def until(http, path: str, user: str, predicate, timeout: float = 30.0) -> dict:
    async def check():
        r = await http.get(path, headers=headers(user))
        return r.json()["data"] if r.status_code == 200 and predicate(r.json()["data"]) else None
    return await wait_for(check, timeout=timeout, interval=0.05)
