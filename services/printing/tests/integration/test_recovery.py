"""Jobs survive a killed service (lease expires, the next run resumes or fails them visibly),
and deleting the model or the task cancels jobs and removes the G-code."""

import asyncio
import contextlib

from lumi_shared.contracts import ModelDeleted, PrintStatusChanged, TaskDeleted
from lumi_shared.messaging import InMemoryBus
from lumi_shared.testing import running, wait_for

from ..conftest import announce_model, headers, until


@contextlib.asynccontextmanager
async def _restarted(make_app):
    """A new process: its own broker connection, same database and files."""
    bus = InMemoryBus(retry_base_delay=0.01)
    await bus.start()
    app = make_app(bus=bus)
    try:
        async with running(app) as http:
            yield http
    finally:
        await bus.stop()


async def _kill(app) -> None:
    """What a SIGKILL leaves behind: workers gone, leases not handed back."""
    for worker in app.state.workers:
        await worker.stop(hand_back=False)


async def test_a_job_killed_while_slicing_is_resumed_by_the_next_run(make_app, bus, storage):
    first = make_app()
    async with running(first) as http:
        ids = await announce_model(bus, storage)
        path = f"/api/tasks/{ids['task_id']}/print-status"
        await until(http, path, "alice", lambda d: True)
        r = await http.post(f"/api/tasks/{ids['task_id']}/print", json={},
                            headers=headers("alice"))
        assert r.status_code == 200
        deps = first.state.printing
        await wait_for(lambda: deps.repo.slices.find_one({"status": "PROCESSING"}), timeout=10)
        await _kill(first)
    job = await deps.repo.jobs.find_one({"_id": r.json()["data"]["printJobId"]})
    assert job["status"] == "SLICING" and job["leaseToken"]  # stranded with a live lease

    async with _restarted(make_app) as http:
        done = await until(http, path, "alice",
                           lambda d: d["printStatus"] in ("PRINT_COMPLETE", "FAILED"), timeout=60)
        assert done["printStatus"] == "PRINT_COMPLETE"


async def test_a_printer_that_lost_the_job_after_a_restart_fails_it_visibly(make_app, bus, storage):
    first = make_app()
    async with running(first) as http:
        first.state.printing.registry.simulated["SIM-001"].speedup = 5.0
        ids = await announce_model(bus, storage)
        path = f"/api/tasks/{ids['task_id']}/print-status"
        await until(http, path, "alice", lambda d: True)
        await http.post(f"/api/tasks/{ids['task_id']}/print", json={}, headers=headers("alice"))
        await until(http, path, "alice", lambda d: d["printStatus"] == "PRINTING", timeout=60)
        await _kill(first)
    async with _restarted(make_app) as http:  # the simulated printer rebooted: idle
        failed = await until(http, path, "alice", lambda d: d["printStatus"] == "FAILED",
                             timeout=30)
        assert "no longer reports this job" in failed["errorMessage"]


async def test_model_deleted_cancels_the_job_and_removes_the_gcode(client, bus, storage, recorder):
    deps = client.app.state.printing
    # slow enough that the print is still running when the deletion arrives on a busy machine
    deps.registry.simulated["SIM-001"].speedup = 1.0
    ids = await announce_model(bus, storage)
    path = f"/api/tasks/{ids['task_id']}/print-status"
    await until(client, path, "alice", lambda d: True)
    await client.post(f"/api/tasks/{ids['task_id']}/print", json={}, headers=headers("alice"))
    printing = await until(client, path, "alice", lambda d: d["printStatus"] == "PRINTING",
                           timeout=60)
    folder = storage.path(f"gcode/{ids['model_id']}")
    assert any(folder.iterdir())
    await bus.publish(ModelDeleted(model_id=ids["model_id"], user_id="alice",
                                   task_id=ids["task_id"], version=9))
    failed = await until(client, path, "alice", lambda d: d["printStatus"] == "FAILED")
    assert failed["errorMessage"] == "The 3D model was deleted"
    await wait_for(lambda: not folder.exists(), timeout=5)
    sim = deps.registry.simulated["SIM-001"]
    assert sim.job is None and sim.cancelled  # the printer was told to stop
    slice_doc = await deps.repo.slices.find_one({"_id": printing["sliceTaskId"]})
    assert slice_doc["gcodeUrl"] is None and slice_doc["status"] == "CANCELLED"
    async def slicing_refused() -> bool:
        r = await client.post("/api/slices", json={"modelId": ids["model_id"]},
                              headers=headers("alice"))
        return r.status_code == 404

    await wait_for(slicing_refused, timeout=10)
    await wait_for(lambda: recorder.of(PrintStatusChanged, status="FAILED"), timeout=5)


async def test_task_deleted_cancels_a_slicing_job(client, bus, storage):
    ids = await announce_model(bus, storage)
    path = f"/api/tasks/{ids['task_id']}/print-status"
    await until(client, path, "alice", lambda d: True)
    await client.post(f"/api/tasks/{ids['task_id']}/print", json={}, headers=headers("alice"))
    await bus.publish(TaskDeleted(task_id=ids["task_id"], user_id="alice",
                                  model_id=ids["model_id"]))
    deps = client.app.state.printing

    async def final():
        job = await deps.repo.latest_job(ids["task_id"])
        return job if job["status"] in ("FAILED", "PRINT_COMPLETE") else None
    job = await wait_for(final, timeout=30)
    assert job["status"] == "FAILED" and job["errorMessage"] == "The task was deleted"
    assert (await client.get(path, headers=headers("alice"))).status_code == 404
    await asyncio.sleep(0.2)
    assert not storage.path(f"gcode/{ids['model_id']}").exists()
