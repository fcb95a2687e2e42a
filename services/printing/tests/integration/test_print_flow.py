"""POST /api/tasks/{id}/print to PRINT_COMPLETE on the simulated printer, and the rules."""

from lumi_shared.contracts import ImageSelected, PrintStatusChanged, PrintSubmitted, uuid7
from lumi_shared.testing import wait_for

from ..conftest import announce_model, headers, until


async def test_print_a_task_from_slicing_to_print_complete(client, bus, storage, recorder):
    ids = await announce_model(bus, storage)
    task, status_path = ids["task_id"], f"/api/tasks/{ids['task_id']}/print-status"
    idle = await until(client, status_path, "alice", lambda d: True)
    assert idle["hasPrintTask"] is False and idle["printStatus"] == "NOT_STARTED"

    r = await client.post(f"/api/tasks/{task}/print", json={}, headers=headers("alice"))
    assert r.status_code == 200, r.text
    body = r.json()["data"]
    assert body["requestId"] == task and body["modelId"] == ids["model_id"]
    assert body["sliceTaskId"].startswith("slice-") and body["printJobId"].startswith("print-")
    again = await client.post(f"/api/tasks/{task}/print", json={}, headers=headers("alice"))
    assert again.status_code == 409

    seen: list[str] = []

    def track(data: dict) -> bool:
        if not seen or seen[-1] != data["printStatus"]:
            seen.append(data["printStatus"])
        return data["printStatus"] in ("PRINT_COMPLETE", "FAILED")

    done = await until(client, status_path, "alice", track, timeout=60)
    assert done["printStatus"] == "PRINT_COMPLETE", done
    assert done["printProgress"] == 100 and done["sliceProgress"] == 100
    assert done["gcodeUrl"].endswith(".gcode") and done["printer"]["deviceName"] == "SIM-001"
    assert seen[0] == "SLICING" and seen[-1] == "PRINT_COMPLETE"
    order = ["SLICING", "SLICE_COMPLETE", "PRINTING", "PRINT_COMPLETE"]
    assert [order.index(s) for s in seen] == sorted(order.index(s) for s in seen)

    await wait_for(lambda: recorder.of(PrintStatusChanged, status="PRINT_COMPLETE"), timeout=5)
    assert len(recorder.of(PrintSubmitted, print_job_id=body["printJobId"])) == 1
    changes = recorder.of(PrintStatusChanged, print_job_id=body["printJobId"])
    assert [c.version for c in changes] == sorted({c.version for c in changes})
    assert [c.status for c in changes][0] == "SLICING" and "PRINTING" in [c.status for c in changes]
    assert changes[-1].progress == 100 and changes[-1].task_id == task

    # A finished job allows a new one; the model is not sliced again.
    second = await client.post(f"/api/tasks/{task}/print", json={"printerId": None},
                               headers=headers("alice"))
    assert second.status_code == 200
    assert second.json()["data"]["sliceTaskId"] == body["sliceTaskId"]


async def test_print_rules_ownership_and_validation(client, bus, storage):
    ids = await announce_model(bus, storage, visibility="PRIVATE")
    task = ids["task_id"]
    await until(client, f"/api/tasks/{task}/print-status", "alice", lambda d: True)
    for user in ("bob",):
        assert (await client.post(f"/api/tasks/{task}/print", json={},
                                  headers=headers(user))).status_code == 404
        assert (await client.get(f"/api/tasks/{task}/print-status",
                                 headers=headers(user))).status_code == 404
    assert (await client.post(f"/api/tasks/{task}/print", json={})).status_code == 401
    unknown = await client.post(f"/api/tasks/{uuid7()}/print", json={}, headers=headers("alice"))
    assert unknown.status_code == 404 and unknown.json()["status"] == "fail"
    bad = await client.post(f"/api/tasks/{task}/print", json={"printerId": 5},
                            headers=headers("alice"))
    assert bad.status_code == 400
    foreign = await client.post(f"/api/tasks/{task}/print", json={"printerId": "SIM-002"},
                                headers=headers("alice"))
    assert foreign.status_code == 404  # not bound by alice
    broken = await client.post(f"/api/tasks/{task}/print", content=b"{nope",
                               headers={**headers("alice"), "content-type": "application/json"})
    assert broken.status_code == 400

    # A model still being generated: 409, not a print.
    pending_task, model_id = uuid7(), uuid7()
    await bus.publish(ImageSelected(task_id=pending_task, user_id="alice", model_id=model_id,
                                    image_id="i", index=0, image_url="http://x/i.png", prompt="p"))
    await until(client, f"/api/tasks/{pending_task}/print-status", "alice", lambda d: True)
    r = await client.post(f"/api/tasks/{pending_task}/print", json={}, headers=headers("alice"))
    assert r.status_code == 409
    r = await client.post("/api/slices", json={"modelId": model_id}, headers=headers("alice"))
    assert r.status_code == 409


async def test_slices_are_idempotent_visible_only_to_who_may_see_the_model(client, bus, storage):
    public = await announce_model(bus, storage, visibility="PUBLIC")
    private = await announce_model(bus, storage, visibility="PRIVATE")
    await until(client, f"/api/tasks/{private['task_id']}/print-status", "alice", lambda d: True)
    await until(client, f"/api/tasks/{public['task_id']}/print-status", "alice", lambda d: True)

    first = await client.post("/api/slices", json={"modelId": public["model_id"]},
                              headers=headers("alice"))
    assert first.status_code == 201, first.text
    data = first.json()["data"]
    assert data["sliceStatus"] == "PROCESSING" and data["modelId"] == public["model_id"]
    by_bob = await client.post("/api/slices", json={"modelId": public["model_id"]},
                               headers=headers("bob"))
    assert by_bob.json()["data"]["sliceTaskId"] == data["sliceTaskId"]  # same model + profile

    for body in ({}, {"modelId": ""}, {"modelId": "x" * 101}):
        assert (await client.post("/api/slices", json=body,
                                  headers=headers("alice"))).status_code == 400
    assert (await client.post("/api/slices", json={"modelId": "m"})).status_code == 401
    assert (await client.post("/api/slices", json={"modelId": private["model_id"]},
                              headers=headers("bob"))).status_code == 404
    assert (await client.post("/api/slices", json={"modelId": uuid7()},
                              headers=headers("alice"))).status_code == 404
    own = await client.post("/api/slices", json={"modelId": private["model_id"]},
                            headers=headers("alice"))
    assert own.status_code == 201
    assert (await client.get(f"/api/slices/{own.json()['data']['sliceTaskId']}",
                             headers=headers("bob"))).status_code == 404
    assert (await client.get("/api/slices/nope", headers=headers("alice"))).status_code == 404

    done = await until(client, f"/api/slices/{data['sliceTaskId']}", "bob",
                       lambda d: d["sliceStatus"] in ("COMPLETED", "FAILED"), timeout=60)
    assert done["sliceStatus"] == "COMPLETED", done
    meta = done["gcodeMetadata"]
    assert meta["layer_count"] == 30 and meta["layer_height"] == 0.2
    assert meta["print_time"] > 0 and meta["filament_used"] > 0 and meta["filament_used_g"] > 0
    key = done["gcodeUrl"].removeprefix(storage.public_base_url + "/")
    gcode = (await storage.get(key)).decode()
    assert gcode.startswith("; generated by lumi-planar") and len(gcode) == meta["file_size"]
    again = await client.post("/api/slices", json={"modelId": public["model_id"]},
                              headers=headers("alice"))
    assert again.json()["data"]["sliceTaskId"] == data["sliceTaskId"]
    assert again.json()["data"]["sliceStatus"] == "COMPLETED"
