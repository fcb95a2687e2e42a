import json

import pytest
from pydantic import ValidationError

from lumi_shared import contracts as c
from lumi_shared.contracts.snapshot import SCHEMA_DIR, current_schemas, render
from lumi_shared.errors import PoisonMessage
from lumi_shared.messaging import decode_event

ARCHITECTURE_EVENTS = {
    "task.created", "image.generating", "image.completed", "image.failed", "task.images_ready",
    "image.selected", "model.generating", "model.progressed", "model.ready", "model.failed",
    "model.updated", "model.deleted", "task.failed", "task.deleted", "print.submitted",
    "print.status_changed", "session.revoked",
}


def test_every_event_of_the_architecture_has_a_contract():
    assert ARCHITECTURE_EVENTS <= set(c.registry())


def test_routing_keys_are_derived_from_class_names():
    assert c.TaskImagesReady.routing_key == "task.images_ready"
    assert c.PrintStatusChanged.routing_key == "print.status_changed"
    assert c.routing_key_for("SessionRevoked") == "session.revoked"


def test_committed_schema_snapshots_match_the_contracts():
    """Fails when a contract drifts: run `make schemas` after an intended additive change."""
    current = current_schemas()
    committed = {p.stem for p in SCHEMA_DIR.glob("*.json")}
    assert committed == set(current), "snapshot files and contracts differ"
    for key, schema in current.items():
        assert (SCHEMA_DIR / f"{key}.json").read_text() == render(schema), f"{key} drifted"


def test_snapshots_only_grow_additively_required_fields_never_disappear():
    for key, schema in current_schemas().items():
        committed = json.loads((SCHEMA_DIR / f"{key}.json").read_text())
        assert set(committed.get("required", [])) <= set(schema.get("required", [])) | set(
            schema["properties"])


def test_events_are_frozen_and_carry_the_envelope():
    event = c.TaskCreated(task_id="t1", user_id="u1", prompt="a cat")
    with pytest.raises(ValidationError):
        event.prompt = "a dog"
    assert event.schema_version == 1 and event.event_id and event.occurred_at.tzinfo


def test_ids_are_uuid7_and_strictly_increase_within_a_process():
    ids = [c.uuid7() for _ in range(20_000)]  # many share a millisecond
    assert all(i[14] == "7" and i[19] in "89ab" for i in ids)
    assert all(a < b for a, b in zip(ids, ids[1:], strict=False))


def test_consumers_ignore_unknown_fields():
    body = c.TaskCreated(task_id="t", user_id="u", prompt="p").model_dump(mode="json")
    body["added_later"] = 1
    assert decode_event("task.created", body).prompt == "p"


@pytest.mark.parametrize("body", [b"not json", b"{}", b'{"task_id": 3}', b"\xff\xfe"])
def test_unparseable_bodies_are_poison(body):
    with pytest.raises(PoisonMessage):
        decode_event("task.created", body)


def test_unknown_routing_key_is_poison():
    with pytest.raises(PoisonMessage):
        decode_event("nobody.knows", b"{}")


def test_every_event_round_trips_through_json():
    samples = {
        "task.created": c.TaskCreated(task_id="t", user_id="u", prompt="p"),
        "model.ready": c.ModelReady(
            task_id="t", user_id="u", model_id="m", version=3, name="n", visibility="PUBLIC",
            files=c.ModelFiles(model_url="http://x/m.glb", format="GLB"),
            created_at="2026-01-01T00:00:00Z", completed_at="2026-01-01T00:01:00Z"),
        "session.revoked": c.SessionRevoked(session_id="s", user_id="u"),
    }
    for key, event in samples.items():
        assert decode_event(key, event.model_dump_json()) == event
