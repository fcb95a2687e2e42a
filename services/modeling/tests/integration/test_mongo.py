"""The whole service against a real MongoDB (runs where MONGODB_URL points at one): the
same repository code as on the in-process store, unique indexes included."""

import asyncio

import pytest

from lumi_shared.contracts import ModelReady, ModelUpdated
from lumi_shared.testing import as_user, running

pytestmark = pytest.mark.mongo


async def test_the_pipeline_duplicates_and_edits_work_on_mongodb(
        make_app, settings, bus, recorder, selection, real_mongo):
    client, name = real_mongo
    app = make_app(settings=settings.model_copy(update={"MONGODB_DB": name}), mongo=client)
    async with running(app) as http:
        event = selection()
        await asyncio.gather(*(bus.publish(event) for _ in range(3)),
                             bus.publish(selection(task_id=event.task_id)))
        # Two selections for one task race (three copies of one, a second with another model
        # id): whichever is handled first creates THE model of the task, so wait on the task.
        ready = await recorder.wait(ModelReady, task_id=event.task_id, timeout=20)
        await bus.drain()
        assert await client[name]["models"].count_documents({"task_id": event.task_id}) == 1
        assert len(recorder.of(ModelReady, task_id=event.task_id)) == 1
        model_id = ready.model_id

        page = (await http.get("/api/users/models?visibility=PUBLIC&sortBy=name",
                               headers=as_user(event.user_id))).json()["data"]
        assert page["total"] == 1 and page["items"][0]["id"] == model_id
        renamed = await http.patch(f"/api/models/{model_id}", json={"name": "Mongo"},
                                   headers=as_user(event.user_id))
        assert renamed.json()["data"]["name"] == "Mongo"
        await recorder.wait(ModelUpdated, model_id=model_id)
        deleted = await http.delete(f"/api/models/{model_id}",
                                    headers=as_user(event.user_id))
        assert deleted.status_code == 200
