"""TaskDeleted removes the task's model and files - even when it arrives first."""

from lumi_shared.contracts import ModelDeleted, ModelReady, TaskDeleted
from lumi_shared.testing import wait_for


async def test_task_deleted_removes_the_model_and_its_files(
        client, bus, recorder, selection, task_deleted, storage, models):
    event = selection()
    await bus.publish(event)
    await recorder.wait(ModelReady, model_id=event.model_id)
    await bus.publish(task_deleted(event))
    deleted = await recorder.wait(ModelDeleted, model_id=event.model_id)
    assert deleted.task_id == event.task_id and deleted.user_id == event.user_id
    # ModelDeleted leaves through the outbox as soon as the deletion is written; the files
    # go right after that write, so wait for them (the race made this test flaky)
    await wait_for(lambda: not (storage.root / "models" / event.model_id).exists())
    doc = await wait_for(lambda: models.find_one({"_id": event.model_id, "files_deleted": True}))
    assert doc["deleted_at"] is not None and doc["files_deleted"] is True
    assert doc["purge_at"] > doc["deleted_at"]


async def test_task_deleted_before_image_selected_means_the_model_is_never_created(
        client, bus, recorder, selection, task_deleted, models):
    event = selection()
    await bus.publish(task_deleted(event))
    await bus.drain()
    await bus.publish(event)
    await bus.drain()
    assert await models.count_documents({"task_id": event.task_id, "deleted_at": None}) == 0
    assert not recorder.of(ModelReady, model_id=event.model_id)
    assert not recorder.of(ModelDeleted, model_id=event.model_id)


async def test_task_deleted_twice_emits_model_deleted_once(
        client, bus, recorder, selection, task_deleted, models):
    event = selection()
    await bus.publish(event)
    await recorder.wait(ModelReady, model_id=event.model_id)
    await bus.publish(task_deleted(event))
    await bus.publish(task_deleted(event))
    await recorder.wait(ModelDeleted, model_id=event.model_id)
    await bus.drain()
    await wait_for(lambda: models.find_one({"_id": event.model_id, "outbox": []}))
    await bus.drain()
    assert len(recorder.of(ModelDeleted, model_id=event.model_id)) == 1


async def test_task_deleted_for_a_task_without_a_model_does_nothing(client, bus, models):
    await bus.publish(TaskDeleted(task_id="t-unknown", user_id="u"))
    await bus.drain()
    assert await models.count_documents({}) == 0
