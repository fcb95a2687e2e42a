"""`GET /internal/tasks/{id}/model`: modeling's present state of a task's model, as the event
that announced it at its current version (what generation rebuilds a task view from)."""

from lumi_shared.contracts import ModelFailed, ModelProgressed, ModelReady
from lumi_shared.identity import service_identity_header
from lumi_shared.messaging import decode_event
from lumi_shared.settings import DEV_SECRET
from lumi_shared.testing import as_user


def service() -> dict[str, str]:
    return service_identity_header("generation", DEV_SECRET)


async def truth(client, task_id: str):
    response = await client.get(f"/internal/tasks/{task_id}/model", headers=service())
    assert response.status_code == 200
    data = response.json()["data"]
    return decode_event(data["routingKey"], data["event"])


async def test_a_finished_model_is_stated_as_its_model_ready(client, bus, recorder, selection,
                                                            models):
    event = selection()
    await bus.publish(event)
    ready = await recorder.wait(ModelReady, model_id=event.model_id, timeout=15)
    stated = await truth(client, event.task_id)
    assert isinstance(stated, ModelReady)
    assert (stated.model_id, stated.version) == (event.model_id, ready.version)
    assert stated.files.model_url == ready.files.model_url
    assert stated.version == (await models.find_one({"_id": event.model_id}))["version"]


async def test_failed_and_running_models_are_stated_as_such(client, bus, recorder, selection,
                                                           models):
    event = selection()
    await bus.publish(event)
    await recorder.wait(ModelReady, model_id=event.model_id, timeout=15)
    await models.update_one({"_id": event.model_id}, {"$set": {
        "job.status": "FAILED", "error_message": "provider gave up"}, "$inc": {"version": 1}})
    failed = await truth(client, event.task_id)
    assert isinstance(failed, ModelFailed) and failed.error_message == "provider gave up"
    await models.update_one({"_id": event.model_id}, {"$set": {
        "job.status": "RUNNING", "job.progress": 40}, "$inc": {"version": 1}})
    running = await truth(client, event.task_id)
    assert isinstance(running, ModelProgressed)
    assert (running.progress, running.status, running.version) == (40, "RUNNING",
                                                                   failed.version + 1)


async def test_no_model_is_a_404_and_only_services_may_ask(client):
    response = await client.get("/internal/tasks/unknown/model", headers=service())
    assert response.status_code == 404
    assert response.json()["data"]["code"] == "NOT_FOUND"
    user = await client.get("/internal/tasks/unknown/model", headers=as_user("alice"))
    assert user.status_code == 401
