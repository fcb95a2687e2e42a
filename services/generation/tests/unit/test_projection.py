from datetime import UTC, datetime, timedelta

from generation.domain import projection
from generation.domain import task as tasks
from lumi_shared import contracts as c

from ..conftest import awaiting_selection

NOW = datetime(2025, 12, 20, 10, 0, tzinfo=UTC)


def selected(apply):
    doc, _ = awaiting_selection(NOW)
    return apply(doc, tasks.select_image(0)(doc, NOW))


def ids(doc):
    return {"task_id": doc["_id"], "user_id": "u1", "model_id": doc["model"]["id"]}


def ready(doc, version):
    files = c.ModelFiles(model_url="http://files/m.glb", format="GLB", glb_url="http://files/m.glb",
                         stl_url="http://files/m.stl", preview_image_url="http://files/p.png",
                         file_size=1234)
    return c.ModelReady(**ids(doc), version=version, name="Red dragon", visibility="PUBLIC",
                        files=files, created_at=NOW, completed_at=NOW + timedelta(minutes=2))


def run(apply, doc, command):
    change = command(doc, NOW)
    return (apply(doc, change), change) if change else (doc, None)


def test_progress_moves_the_task_to_model_generating(apply):
    doc = selected(apply)
    doc, _ = run(apply, doc, projection.model_progress(c.ModelGenerating(**ids(doc), version=1)))
    assert doc["status"] == "MODEL_GENERATING"
    doc, _ = run(apply, doc, projection.model_progress(
        c.ModelProgressed(**ids(doc), version=2, progress=55, status="RUN")))
    assert doc["model"]["generationJob"] == {"status": "RUNNING", "progress": 55}


def test_stale_and_duplicate_model_versions_are_dropped(apply):
    doc = selected(apply)
    doc, _ = run(apply, doc, projection.model_progress(
        c.ModelProgressed(**ids(doc), version=3, progress=60, status="RUN")))
    for version in (2, 3):
        _, change = run(apply, doc, projection.model_progress(
            c.ModelProgressed(**ids(doc), version=version, progress=10, status="RUN")))
        assert change is None


def test_ready_completes_the_task_and_is_never_regressed(apply):
    doc = selected(apply)
    doc, _ = run(apply, doc, projection.model_ready(ready(doc, 5)))
    assert (doc["status"], doc["phase"]) == ("COMPLETED", "COMPLETED")
    assert doc["completedAt"] == NOW + timedelta(minutes=2)
    assert doc["model"]["glbUrl"] == "http://files/m.glb"
    assert doc["model"]["generationJob"] == {"status": "COMPLETED", "progress": 100}
    for late in (c.ModelProgressed(**ids(doc), version=6, progress=10, status="RUN"),):
        _, change = run(apply, doc, projection.model_progress(late))
        assert change is None
    _, change = run(apply, doc, projection.model_failed(
        c.ModelFailed(**ids(doc), version=7, error_message="late")))
    assert change is None


def test_out_of_order_delivery_ends_in_the_newest_state(apply):
    doc = selected(apply)
    doc, _ = run(apply, doc, projection.model_ready(ready(doc, 3)))
    doc, _ = run(apply, doc, projection.model_progress(
        c.ModelProgressed(**ids(doc), version=2, progress=50, status="RUN")))
    doc, _ = run(apply, doc, projection.model_progress(c.ModelGenerating(**ids(doc), version=1)))
    assert doc["status"] == "COMPLETED" and doc["model"]["version"] == 3


def test_model_failed_fails_the_task_and_emits_task_failed(apply):
    doc = selected(apply)
    doc, change = run(apply, doc, projection.model_failed(
        c.ModelFailed(**ids(doc), version=2, error_message="3D provider failed")))
    assert (doc["status"], doc["phase"]) == ("MODEL_FAILED", "MODEL_GENERATION")
    assert doc["model"]["failedAt"] == NOW and doc["errorMessage"] == "3D provider failed"
    assert [(e.routing_key, e.status) for e in change.events] == [("task.failed", "MODEL_FAILED")]


def test_events_for_another_model_are_ignored(apply):
    doc = selected(apply)
    other = {**ids(doc), "model_id": "someone-else"}
    _, change = run(apply, doc, projection.model_ready(
        ready(doc, 1).model_copy(update=other)))
    assert change is None


def test_a_late_success_still_completes_a_task_the_sweeper_gave_up_on(apply):
    doc = selected(apply)
    doc["updatedAt"] = NOW - timedelta(hours=2)
    doc, change = run(apply, doc, projection.expire_model(NOW - timedelta(hours=1), "timed out"))
    assert doc["status"] == "MODEL_FAILED" and doc["model"]["generationJob"]["status"] == "TIMEOUT"
    doc, _ = run(apply, doc, projection.model_ready(ready(doc, 4)))
    assert doc["status"] == "COMPLETED"


def test_model_updates_and_deletion_keep_the_summary_current(apply):
    doc = selected(apply)
    doc, _ = run(apply, doc, projection.model_ready(ready(doc, 2)))
    doc, _ = run(apply, doc, projection.model_updated(c.ModelUpdated(
        **ids(doc), version=3, name="Renamed", visibility="PRIVATE")))
    assert (doc["model"]["name"], doc["model"]["visibility"]) == ("Renamed", "PRIVATE")
    doc, _ = run(apply, doc, projection.model_deleted(c.ModelDeleted(**ids(doc), version=4)))
    assert doc["model"] is None and doc["status"] == "COMPLETED"


def test_deleting_the_model_mid_generation_fails_the_task(apply):
    doc = selected(apply)
    doc, change = run(apply, doc, projection.model_deleted(c.ModelDeleted(**ids(doc), version=1)))
    assert doc["status"] == "MODEL_FAILED" and change.events[0].routing_key == "task.failed"


def test_print_events_fill_the_print_summary_in_order(apply):
    doc = selected(apply)
    base = {"task_id": doc["_id"], "user_id": "u1", "model_id": "m1", "print_job_id": "p1"}
    submitted = c.PrintSubmitted(**base)
    doc, _ = run(apply, doc, projection.print_submitted(submitted))
    assert doc["print"]["status"] == "NOT_STARTED"
    slicing = c.PrintStatusChanged(**base, status="SLICING", progress=30, version=1)
    printing = c.PrintStatusChanged(**base, status="PRINTING", progress=75, version=2)
    doc, _ = run(apply, doc, projection.print_status_changed(printing))
    doc, _ = run(apply, doc, projection.print_status_changed(slicing))
    doc, _ = run(apply, doc, projection.print_submitted(submitted))
    assert (doc["print"]["status"], doc["print"]["progress"]) == ("PRINTING", 75)


def test_slice_events_fill_the_model_fields_and_stale_ones_are_dropped(apply):
    from generation.views import task_view
    from lumi_shared.contracts import SliceStatusChanged

    doc = selected(apply)
    doc, _ = run(apply, doc, projection.model_ready(ready(doc, 2)))
    base = {"model_id": doc["model"]["id"], "user_id": "u1", "task_id": doc["_id"],
            "slice_task_id": "s1"}
    processing = SliceStatusChanged(**base, status="PROCESSING", version=2)
    done = SliceStatusChanged(**base, status="COMPLETED", version=3,
                              gcode_url="http://files/gcode/m/s1.gcode")
    doc, _ = run(apply, doc, projection.slice_status_changed(done))
    doc, change = run(apply, doc, projection.slice_status_changed(processing))
    assert change is None  # older version of the same slice job
    other = SliceStatusChanged(**{**base, "model_id": "another"}, status="FAILED", version=9)
    assert projection.slice_status_changed(other)(doc, NOW) is None
    printing = c.PrintStatusChanged(task_id=doc["_id"], user_id="u1", model_id=base["model_id"],
                                    print_job_id="p1", status="PRINTING", progress=40,
                                    version=2)
    doc, _ = run(apply, doc, projection.print_status_changed(printing))
    model = task_view(doc)["model"]
    assert (model["sliceTaskId"], model["sliceStatus"], model["gcodeUrl"], model["printStatus"]) \
        == ("s1", "COMPLETED", "http://files/gcode/m/s1.gcode", "PRINTING")
