from datetime import UTC, datetime

import pytest

from lumi_shared import contracts as c
from lumi_shared.contracts.rules import MODEL_NAME_WIDTH, _width
from lumi_shared.settings import BaseServiceSettings


@pytest.mark.parametrize("prompt", ["a" * 31, "龙" * 16, "ab龙" * 9, "word " * 20])
def test_a_model_name_never_exceeds_the_one_width(prompt):
    name = c.model_name(prompt)
    assert name.endswith("...") and sum(_width(ch) for ch in name) <= MODEL_NAME_WIDTH


def test_an_empty_prompt_names_the_model_by_date_when_one_is_known():
    assert c.model_name("  ") == "My model"
    assert c.model_name("", datetime(2025, 7, 1, tzinfo=UTC)) == "My model 2025-07-01"


def test_events_describe_their_own_sse_frame():
    deleted = c.TaskDeleted(task_id="t", user_id="u")
    assert deleted.sse() == ("task:deleted", {"requestId": "t"}) and deleted.ends_stream
    assert c.TaskCreated(task_id="t", user_id="u", prompt="p").sse() is None
    assert not c.ImageFailed(task_id="t", user_id="u", image_id="i", index=0,
                             error_message="x").ends_stream


def test_the_fetch_allow_list_has_one_name_and_accepts_modelings_old_one(monkeypatch):
    monkeypatch.setenv("MODEL_FETCH_ALLOWED_HOSTS", " .Example.com ,b.test")
    assert BaseServiceSettings().fetch_allowed_hosts == (".example.com", "b.test")
    assert BaseServiceSettings(FETCH_ALLOWED_HOSTS="a.test").fetch_allowed_hosts == ("a.test",)
