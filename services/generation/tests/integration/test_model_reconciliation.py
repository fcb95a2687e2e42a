"""After a crash generation's task view and modeling's model can disagree; the sweeper asks
modeling (its internal API) before touching a silent model and rebuilds the view from the
answer: never backwards, and a model modeling finished is never reported failed."""

from datetime import UTC, datetime

from lumi_shared.contracts import ModelFailed, ModelFiles, ModelProgressed, ModelReady


async def model_task(harness) -> tuple[str, str]:
    """A task whose image was selected: its model is being made (MODEL_PENDING)."""
    task = await harness.ready_task()
    await harness.select(task["id"], 0)
    await harness.settle()
    model_id = (await harness.task(task["id"]))["model"]["id"]
    return task["id"], model_id


def ready(task_id: str, model_id: str, version: int = 3) -> ModelReady:
    now = datetime.now(UTC)
    return ModelReady(task_id=task_id, user_id="u1", model_id=model_id, version=version,
                      name="a small red dragon", visibility="PUBLIC", created_at=now,
                      completed_at=now, files=ModelFiles(model_url="http://files.test/m.obj",
                                                         format="OBJ"))


def silent_for(harness, seconds: float) -> None:
    harness.clock.advance(seconds + 1)


async def test_a_model_finished_in_modeling_completes_the_stalled_task(harness):
    task_id, model_id = await model_task(harness)
    harness.modeling.truth[task_id] = ready(task_id, model_id)
    silent_for(harness, harness.generation.settings.MODEL_STALL_TIMEOUT)
    assert await harness.generation.sweeper.sweep() == 1
    await harness.settle()
    task = await harness.task(task_id)
    assert (task["status"], task["phase"]) == ("COMPLETED", "COMPLETED")
    assert task["model"]["modelUrl"] == "http://files.test/m.obj"
    assert harness.published("task.failed", task_id) == []


async def test_a_task_is_reconciled_long_before_the_stall_timeout(harness):
    task_id, model_id = await model_task(harness)
    harness.modeling.truth[task_id] = ready(task_id, model_id)
    assert await harness.generation.sweeper.sweep() == 0  # not silent yet: modeling not asked
    assert harness.modeling.asked == []
    silent_for(harness, harness.generation.settings.MODEL_RECONCILE_AFTER)
    assert await harness.generation.sweeper.sweep() == 1
    assert (await harness.task(task_id))["status"] == "COMPLETED"


async def test_nothing_is_failed_while_modeling_cannot_answer(harness):
    task_id, _ = await model_task(harness)
    harness.modeling.down = True
    silent_for(harness, harness.generation.settings.MODEL_STALL_TIMEOUT)
    assert await harness.generation.sweeper.sweep() == 0
    assert harness.modeling.asked == [task_id]
    assert (await harness.task(task_id))["status"] == "MODEL_PENDING"
    harness.modeling.down = False  # modeling answers: it has no model for the task
    assert await harness.generation.sweeper.sweep() == 1
    await harness.settle()
    failed = await harness.task(task_id)
    assert failed["status"] == "MODEL_FAILED"
    assert harness.published("task.failed", task_id)[0].status == "MODEL_FAILED"


async def test_a_model_still_running_in_modeling_is_not_failed(harness):
    task_id, model_id = await model_task(harness)
    harness.modeling.truth[task_id] = ModelProgressed(
        task_id=task_id, user_id="u1", model_id=model_id, version=2, progress=60,
        status="RUNNING")
    silent_for(harness, harness.generation.settings.MODEL_STALL_TIMEOUT)
    assert await harness.generation.sweeper.sweep() == 1  # the view catches up on progress
    task = await harness.task(task_id)
    assert task["status"] == "MODEL_GENERATING"
    assert task["model"]["generationJob"]["progress"] == 60
    assert harness.published("task.failed", task_id) == []


async def test_a_model_modeling_failed_fails_the_task_with_its_message(harness):
    task_id, model_id = await model_task(harness)
    harness.modeling.truth[task_id] = ModelFailed(task_id=task_id, user_id="u1",
                                                  model_id=model_id, version=2,
                                                  error_message="provider gave up")
    silent_for(harness, harness.generation.settings.MODEL_RECONCILE_AFTER)
    assert await harness.generation.sweeper.sweep() == 1
    task = await harness.task(task_id)
    assert (task["status"], task["errorMessage"]) == ("MODEL_FAILED", "provider gave up")


async def test_a_task_view_that_lost_its_completion_is_rebuilt_and_never_goes_back(harness):
    """generation crashed and lost the write that completed the task (the view is back at
    MODEL_GENERATING, version 2) while modeling kept its finished model (version 3)."""
    task_id, model_id = await model_task(harness)
    await harness.deliver(ModelProgressed(task_id=task_id, user_id="u1", model_id=model_id,
                                          version=2, progress=90, status="RUNNING"))
    harness.modeling.truth[task_id] = ready(task_id, model_id, version=3)
    silent_for(harness, harness.generation.settings.MODEL_RECONCILE_AFTER)
    assert await harness.generation.sweeper.sweep() == 1
    assert (await harness.task(task_id))["status"] == "COMPLETED"
    # late and stale news never take it back
    await harness.deliver(ModelProgressed(task_id=task_id, user_id="u1", model_id=model_id,
                                          version=2, progress=95, status="RUNNING"))
    await harness.deliver(ModelFailed(task_id=task_id, user_id="u1", model_id=model_id,
                                      version=4, error_message="late failure"))
    silent_for(harness, harness.generation.settings.MODEL_STALL_TIMEOUT)
    assert await harness.generation.sweeper.sweep() == 0
    task = await harness.task(task_id)
    assert task["status"] == "COMPLETED" and task["model"]["modelUrl"] == "http://files.test/m.obj"
