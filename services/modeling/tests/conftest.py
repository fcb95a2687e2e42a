"""Fixtures of the modeling tests: in-process bus and store, a temporary storage folder,
fast settings, an event recorder and source images."""

import io
from collections.abc import Callable
from typing import Any

import pytest
from PIL import Image, ImageDraw

from lumi_shared.contracts import ImageSelected, TaskDeleted, uuid7
from lumi_shared.testing import app_factory
from modeling.config import Settings
from modeling.main import create_app

FILES_BASE = "http://files.test/files"


def _png(size: tuple[int, int] = (256, 256)) -> bytes:
    image = Image.new("RGB", size, (240, 240, 236))
    draw = ImageDraw.Draw(image)
    w, h = size
    draw.ellipse((w * 0.2, h * 0.2, w * 0.8, h * 0.8), fill=(200, 60, 40))
    draw.rectangle((w * 0.4, h * 0.1, w * 0.6, h * 0.4), fill=(30, 30, 160))
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


@pytest.fixture
def settings(tmp_path) -> Settings:
    return Settings(
        LUMI_ENV="test", LUMI_DATA_DIR=tmp_path, STORAGE_PUBLIC_BASE_URL=FILES_BASE,
        OUTBOX_POLL_INTERVAL=0.05, MODEL_SIM_STEP_DELAY=0.0, MODEL_SIM_RESOLUTION=48,
        MODEL_RETRY_BASE_DELAY=0.01, MODEL_RETRY_MAX_DELAY=0.05,
        MODEL_WORKER_POLL_INTERVAL=0.05, MODEL_JOB_LEASE=3.0)


@pytest.fixture
async def source_image(storage) -> str:
    return await storage.put(f"images/{uuid7()}/0.png", _png(), "image/png")


@pytest.fixture
def selection(source_image) -> Callable[..., ImageSelected]:
    def build(**overrides: Any) -> ImageSelected:
        values = {"task_id": uuid7(), "user_id": "user-1", "model_id": uuid7(),
                  "image_id": uuid7(), "index": 0, "image_url": source_image,
                  "prompt": "A small red robot holding a blue flag"}
        values.update(overrides)
        return ImageSelected(**values)

    return build


@pytest.fixture
def make_png() -> Callable[..., bytes]:
    return _png


@pytest.fixture
def task_deleted() -> Callable[[ImageSelected], TaskDeleted]:
    def build(event: ImageSelected) -> TaskDeleted:
        return TaskDeleted(task_id=event.task_id, user_id=event.user_id,
                           model_id=event.model_id)

    return build


@pytest.fixture
def make_app(settings, mongo, bus, storage):
    """`make_app(**overrides)`; `app` and `client` (lumi_shared.test_fixtures) use its default."""
    return app_factory(create_app, settings, mongo=mongo, bus=bus, storage=storage)


@pytest.fixture
def models(mongo):
    """The service's models collection (to look at stored documents)."""
    return mongo["lumi_modeling"]["models"]
