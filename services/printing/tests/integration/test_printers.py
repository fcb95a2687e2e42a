"""Printers in the mobile app's shapes: bind, list, detail, status, batch, jobs, unbind; and
the printer's own state: PAUSED, ERROR, silence -> OFFLINE and the job FAILED."""

import asyncio

from ..conftest import announce_model, headers, until


async def _bind(client, user: str, name: str, code) -> None:
    r = await client.post("/api/printers", json={"deviceName": name, "code": code(name)},
                          headers=headers(user))
    assert r.status_code == 201, r.text


async def test_bind_list_detail_status_batch_unbind(client, code):
    assert (await client.get("/api/printers")).status_code == 401
    wrong = await client.post("/api/printers", json={"deviceName": "SIM-001", "code": "000000"},
                              headers=headers("alice"))
    assert wrong.status_code == 400
    unknown = await client.post("/api/printers", json={"deviceName": "NOPE", "code": "123456"},
                                headers=headers("alice"))
    assert unknown.status_code == 400
    await _bind(client, "alice", "SIM-001", code)
    await _bind(client, "alice", "SIM-001", code)  # binding again is idempotent
    taken = await client.post("/api/printers", json={"deviceName": "SIM-001",
                                                     "code": code("SIM-001")},
                              headers=headers("bob"))
    assert taken.status_code == 409

    listed = (await client.get("/api/printers", headers=headers("alice"))).json()["data"]
    assert listed["total"] == 1 and listed["page"] == 1 and listed["size"] == 10
    printer = listed["printers"][0]
    assert printer["id"] == "SIM-001" and printer["deviceName"] == "SIM-001"
    assert printer["status"] == "ONLINE" and printer["lastOnline"]
    assert printer["realtimeStatus"]["nozzleTemperature"]["current"] == 25.0
    assert set(printer) >= {"name", "model", "firmwareVersion", "currentJob"}
    assert (await client.get("/api/printers", headers=headers("bob"))).json()["data"][
        "printers"] == []
    assert (await client.get("/api/printers?size=101",
                             headers=headers("bob"))).status_code == 400

    detail = (await client.get("/api/printers/SIM-001", headers=headers("alice"))).json()
    assert detail["data"]["printer"]["status"] == "ONLINE"
    assert (await client.get("/api/printers/SIM-001", headers=headers("bob"))).status_code == 404
    status = (await client.get("/api/printers/SIM-001/status", headers=headers("alice"))).json()
    assert status["data"]["status"] == "ONLINE" and status["data"]["currentJob"] is None
    batch = await client.post("/api/printers/batch", json={"ids": ["SIM-001", "SIM-002"]},
                              headers=headers("alice"))
    assert [p["id"] for p in batch.json()["data"]["printers"]] == ["SIM-001"]
    too_many = await client.post("/api/printers/batch", json={"ids": [str(i) for i in range(21)]},
                                 headers=headers("alice"))
    assert too_many.status_code == 400
    products = (await client.get("/api/devices/products", headers=headers("alice"))).json()
    assert products["data"]["total"] >= 1 and products["data"]["products"][0]["productId"]

    assert (await client.delete("/api/printers/SIM-001", headers=headers("bob"))).status_code == 404
    assert (await client.delete("/api/printers/SIM-001",
                                headers=headers("alice"))).status_code == 200
    assert (await client.get("/api/printers/SIM-001", headers=headers("alice"))).status_code == 404
    await _bind(client, "bob", "SIM-001", code)


async def test_mobile_job_with_model_id_slices_then_prints(client, bus, storage, code):
    ids = await announce_model(bus, storage)
    await until(client, f"/api/tasks/{ids['task_id']}/print-status", "alice", lambda d: True)
    await _bind(client, "alice", "SIM-002", code)
    for body in ({}, {"modelId": ids["model_id"], "gcodeUrl": "https://x.example/a.gcode"},
                 {"fileName": "a.gcode", "gcodeUrl": "not a url"}):
        r = await client.post("/api/printers/SIM-002/jobs", json=body, headers=headers("alice"))
        assert r.status_code == 400, body
    r = await client.post("/api/printers/SIM-002/jobs",
                          json={"modelId": ids["model_id"], "taskName": "my tube"},
                          headers=headers("alice"))
    assert r.status_code == 201, r.text
    data = r.json()["data"]
    assert data["taskId"] == data["job"]["id"] and data["job"]["status"] == "queued"
    assert data["job"]["name"] == "my tube"
    assert (await client.post("/api/printers/SIM-003/jobs", json={"modelId": ids["model_id"]},
                              headers=headers("alice"))).status_code == 404  # not bound

    printing = await until(client, "/api/printers/SIM-002", "alice",
                           lambda d: d["printer"]["status"] == "PRINTING", timeout=60)
    job = printing["printer"]["currentJob"]
    assert job["name"] == "my tube" and 0 <= job["progress"] <= 100
    busy = await client.delete("/api/printers/SIM-002", headers=headers("alice"))
    assert busy.status_code == 409
    deps = client.app.state.printing

    async def finished():
        doc = await deps.repo.jobs.find_one({"_id": data["job"]["id"]})
        return doc if doc["status"] in ("PRINT_COMPLETE", "FAILED") else None
    from lumi_shared.testing import wait_for
    doc = await wait_for(finished, timeout=60)
    assert doc["status"] == "PRINT_COMPLETE" and doc["layerCount"] == 30

    # FY's shape: a G-code URL (our own storage here) printed as is.
    r = await client.post("/api/printers/SIM-002/jobs",
                          json={"fileName": "again.gcode", "gcodeUrl": doc["gcodeUrl"]},
                          headers=headers("alice"))
    assert r.status_code == 201
    again = await wait_for(lambda: deps.repo.jobs.find_one(
        {"_id": r.json()["data"]["job"]["id"], "status": {"$in": ["PRINT_COMPLETE", "FAILED"]}}),
        timeout=60)
    assert again["status"] == "PRINT_COMPLETE"


async def test_paused_error_and_a_silent_printer(client, bus, storage, code, settings):
    deps = client.app.state.printing
    sim = deps.registry.simulated["SIM-003"]
    sim.speedup = 20.0  # slow enough to look at
    await _bind(client, "alice", "SIM-003", code)
    ids = await announce_model(bus, storage)
    await until(client, f"/api/tasks/{ids['task_id']}/print-status", "alice", lambda d: True)
    r = await client.post(f"/api/tasks/{ids['task_id']}/print", json={"printerId": "SIM-003"},
                          headers=headers("alice"))
    assert r.status_code == 200
    path = f"/api/tasks/{ids['task_id']}/print-status"
    await until(client, path, "alice", lambda d: d["printStatus"] == "PRINTING", timeout=60)
    sim.pause()
    paused = await until(client, "/api/printers/SIM-003/status", "alice",
                         lambda d: d["status"] == "PAUSED")
    assert paused["currentJob"]["name"] == "tube"
    sim.resume()
    progressed = await until(client, path, "alice", lambda d: d["printProgress"] >= 5, timeout=30)
    assert progressed["printStatus"] == "PRINTING" and progressed["currentLayer"] >= 1

    sim.power_off()
    failed = await until(client, path, "alice", lambda d: d["printStatus"] == "FAILED",
                         timeout=settings.PRINTER_SILENCE_TIMEOUT + 10)
    assert "stopped answering" in failed["errorMessage"]
    offline = await until(client, "/api/printers/SIM-003", "alice",
                          lambda d: d["printer"]["status"] == "OFFLINE", timeout=10)
    assert offline["printer"]["realtimeStatus"] is None

    sim.power_on()
    sim.job = None
    sim.speedup = 2000.0
    retry = await client.post(f"/api/tasks/{ids['task_id']}/print", json={"printerId": "SIM-003"},
                              headers=headers("alice"))
    assert retry.status_code == 200  # after FAILED a new submit is allowed
    await until(client, path, "alice", lambda d: d["printStatus"] == "PRINTING", timeout=60)
    sim.fault("thermal runaway")
    err = await until(client, "/api/printers/SIM-003/status", "alice",
                      lambda d: d["status"] == "ERROR")
    assert err["status"] == "ERROR"
    failed = await until(client, path, "alice", lambda d: d["printStatus"] == "FAILED")
    assert "thermal runaway" in failed["errorMessage"]
    await asyncio.sleep(0)
