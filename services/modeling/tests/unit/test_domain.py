"""Model names, the stored document, its public shape and versioned changes."""

from datetime import UTC, datetime

import pytest

from lumi_shared.contracts import ModelFiles, ModelReady, ModelUpdated
from modeling.config import Settings
from modeling.domain import transitions
from modeling.domain.model import Visibility, model_name, new_model_document, public_model

NOW = datetime(2025, 7, 1, 12, 0, 0, 123000, tzinfo=UTC)


@pytest.mark.parametrize("prompt,name", [
    ("  a   red\n robot ", "a red robot"),
    ("x" * 30, "x" * 30),
    ("A very long prompt about a castle on a hill", "A very long prompt about a..."),
    ("", "My model 2025-07-01"),
    ("一只可爱的小猫坐在月亮上钓鱼看星星和银河系", "一只可爱的小猫坐在月亮上钓..."),
])
def test_the_model_name_comes_from_the_prompt_within_thirty_characters(prompt, name):
    assert model_name(prompt, NOW) == name
    assert len(model_name(prompt, NOW)) <= 30


def doc(visibility=Visibility.PUBLIC):
    return new_model_document(model_id="m1", user_id="u1", task_id="t1", image_id="i1",
                              image_url="https://files/images/t1/0.png", prompt="robot",
                              visibility=visibility, now=NOW, deadline=60,
                              default_format="GLB")


def test_a_new_public_model_is_published_and_previews_its_source_image():
    model = public_model(doc())
    assert model["publishedAt"] == "2025-07-01T12:00:00.123Z"
    assert model["previewImageUrl"] == "https://files/images/t1/0.png"
    assert model["generationJob"] == {"status": "PENDING", "progress": 0, "retryCount": 0}
    assert model["format"] == "GLB" and model["modelUrl"] is None
    assert public_model(doc(Visibility.PRIVATE))["publishedAt"] is None


def test_each_change_sets_the_next_version_and_the_event_carries_it():
    current = doc()
    files = ModelFiles(model_url="u.glb", format="GLB", face_count=10, vertex_count=7)
    change = transitions.ready(current, files=files, now=NOW)
    events = change.events
    assert change.set["version"] == 2
    assert isinstance(events[0], ModelReady) and events[0].version == 2
    events = transitions.edited(current, changes={"name": "new"}, now=NOW).events
    assert isinstance(events[0], ModelUpdated) and events[0].name == "new"
    assert events[0].description is None and events[0].visibility == "PUBLIC"


def test_the_hunyuan_provider_needs_credentials():
    with pytest.raises(ValueError, match="TENCENTCLOUD_SECRET_ID"):
        Settings(MODEL_PROVIDER="hunyuan")
    configured = Settings(MODEL_PROVIDER="hunyuan", TENCENTCLOUD_SECRET_ID="id",
                          TENCENTCLOUD_SECRET_KEY="key")
    assert configured.TENCENTCLOUD_REGION == "ap-guangzhou"
    assert Settings.host_list(" .a.com, B.test ,") == (".a.com", "b.test")
