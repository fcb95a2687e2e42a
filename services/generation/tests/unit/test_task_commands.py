from datetime import UTC, datetime, timedelta

import pytest

from generation.domain import ImageStatus, RequestPhase, RequestStatus
from generation.domain import task as tasks
from lumi_shared.errors import Conflict, InvalidState, ValidationFailed

from ..conftest import awaiting_selection

NOW = datetime(2025, 12, 20, 10, 0, tzinfo=UTC)


def ready_doc():
    return awaiting_selection(NOW)[0]


@pytest.mark.parametrize("prompt", [None, 3, ["x"], {"a": 1}, "", "   ", "\n\t", "x" * 501])
def test_clean_prompt_rejects_non_strings_blank_and_too_long(prompt):
    with pytest.raises(ValidationFailed):
        tasks.clean_prompt(prompt)


def test_clean_prompt_trims_and_accepts_exactly_500_characters():
    assert tasks.clean_prompt("  hi  ") == "hi"
    assert tasks.clean_prompt(" " + "x" * 500 + " ") == "x" * 500


def test_new_task_has_four_pending_images_and_a_task_created_event():
    doc, event = tasks.new_task("u1", "a red dragon", NOW)
    assert (doc["status"], doc["phase"]) == ("IMAGE_PENDING", "IMAGE_GENERATION")
    assert [img["index"] for img in doc["images"]] == [0, 1, 2, 3]
    assert {img["imageStatus"] for img in doc["images"]} == {"PENDING"}
    assert (event.task_id, event.user_id, event.prompt) == (doc["_id"], "u1", "a red dragon")


def test_select_image_moves_to_model_pending_and_names_the_model_id_in_the_event(apply):
    doc = ready_doc()
    change = tasks.select_image(2)(doc, NOW)
    after = apply(doc, change)
    assert (after["status"], after["phase"]) == ("MODEL_PENDING", "MODEL_GENERATION")
    assert after["selectedImageIndex"] == 2
    (event,) = change.events
    assert event.routing_key == "image.selected"
    assert event.model_id == after["model"]["id"]
    assert (event.index, event.image_url, event.attempt, event.retry) == \
        (2, "http://files/2.png", 1, False)
    assert after["model"]["generationJob"] == {"status": "PENDING", "progress": 0}
    assert after["model"]["previewImageUrl"] == "http://files/2.png"


def test_select_image_refuses_a_second_model(apply):
    doc = apply(ready_doc(), tasks.select_image(0)(ready_doc(), NOW))
    with pytest.raises(Conflict):
        tasks.select_image(1)(doc, NOW)


def test_select_image_refuses_while_images_are_generating():
    doc, _ = tasks.new_task("u1", "p", NOW)
    with pytest.raises(InvalidState) as err:
        tasks.select_image(0)(doc, NOW)
    assert err.value.details["currentStatus"] == "IMAGE_PENDING"


def test_select_image_refuses_an_image_that_is_not_completed():
    doc = ready_doc()
    doc["images"][3]["imageStatus"] = ImageStatus.FAILED
    with pytest.raises(InvalidState):
        tasks.select_image(3)(doc, NOW)


def test_retry_images_resets_only_the_failed_images(apply):
    doc = ready_doc()
    doc["images"][1].update(imageStatus=ImageStatus.FAILED, errorMessage="boom", failedAt=NOW,
                            imagePrompt="variant 1")
    doc.update(status=RequestStatus.IMAGE_FAILED, phase=RequestPhase.IMAGE_GENERATION,
               errorMessage="1 of 4 images failed: boom")
    change = tasks.retry_images(doc, NOW + timedelta(seconds=1))
    after = apply(doc, change)
    assert after["status"] == "IMAGE_GENERATING" and after["errorMessage"] is None
    assert after["images"][1]["imageStatus"] == "PENDING"
    assert after["images"][1]["failedAt"] is None
    assert after["images"][1]["imagePrompt"] == "variant 1"
    assert after["images"][1]["id"] == doc["images"][1]["id"]
    assert after["images"][0]["imageStatus"] == "COMPLETED"
    assert change.events[0].indexes == [1]


def test_retry_images_refuses_when_nothing_failed():
    with pytest.raises(InvalidState):
        tasks.retry_images(ready_doc(), NOW)


def test_retry_model_reemits_image_selected_with_the_same_model_id_and_a_new_attempt(apply):
    doc = apply(ready_doc(), tasks.select_image(1)(ready_doc(), NOW))
    doc["status"] = RequestStatus.MODEL_FAILED
    doc["model"].update(failedAt=NOW, errorMessage="provider failed")
    change = tasks.retry_model(doc, NOW)
    after = apply(doc, change)
    (event,) = change.events
    assert (event.model_id, event.retry, event.attempt) == (doc["model"]["id"], True, 2)
    assert after["status"] == "MODEL_PENDING"
    assert after["model"]["failedAt"] is None and after["model"]["errorMessage"] is None


def test_retry_model_refuses_unless_the_model_failed(apply):
    doc = apply(ready_doc(), tasks.select_image(1)(ready_doc(), NOW))
    with pytest.raises(InvalidState):
        tasks.retry_model(doc, NOW)


def test_mark_deleted_carries_the_model_id_when_known(apply):
    doc = apply(ready_doc(), tasks.select_image(1)(ready_doc(), NOW))
    change = tasks.mark_deleted(doc, NOW)
    assert change.set == {"deletedAt": NOW}
    assert change.events[0].model_id == doc["model"]["id"]
    assert tasks.mark_deleted(ready_doc(), NOW).events[0].model_id is None


@pytest.mark.parametrize(("prompt", "name"), [
    ("  a   red\n dragon ", "a red dragon"),
    ("x" * 40, "x" * 27 + "..."),  # one width everywhere: 30 units, "..." included
    ("龙" * 20, "龙" * 13 + "..."),
    ("   ", "My model"),
])
def test_provisional_model_name_collapses_whitespace_and_cuts_by_display_width(prompt, name):
    assert tasks.provisional_model_name(prompt) == name
