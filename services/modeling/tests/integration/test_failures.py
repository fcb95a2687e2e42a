"""Failure paths reach ModelFailed (bounded retries, time limits), retries of failed models,
and recovery of jobs interrupted by a crash or a shutdown."""

import asyncio
from datetime import timedelta

from lumi_shared.contracts import ModelFailed, ModelProgressed, ModelReady
from lumi_shared.contracts.base import utcnow
from lumi_shared.testing import as_user, running, wait_for
from modeling.domain.model import Visibility, new_model_document
from modeling.providers.base import ProviderError
from modeling.providers.simulated import SimulatedProvider


class ScriptedProvider:
    """Fails the first `failures` calls (or hangs), then builds a real relief."""

    name = "scripted"

    def __init__(self, failures: int = 0, *, retryable: bool = True, hang: bool = False):
        self.failures, self.retryable, self.hang = failures, retryable, hang
        self.calls: list[str | None] = []
        self.release = asyncio.Event()
        self.started = asyncio.Event()
        self.real = SimulatedProvider(resolution=32, step_delay=0)

    async def generate(self, job, reporter):
        self.calls.append(job.resume_job_id)
        self.started.set()
        if self.hang:
            await reporter.submitted("scripted-job")
            await reporter.progress(10, "RUN")
            await self.release.wait()
        if len(self.calls) <= self.failures:
            raise ProviderError(f"provider broke ({len(self.calls)})", retryable=self.retryable)
        return await self.real.generate(job, reporter)


async def outcome(bus, recorder, event, kind):
    """Publish the selection `event`; its model's first `kind` event (ModelReady, ModelFailed)."""
    await bus.publish(event)
    return event, await recorder.wait(kind, model_id=event.model_id)


def fast(settings, **values):
    return settings.model_copy(update=values)


async def test_a_provider_that_keeps_failing_ends_in_model_failed_after_bounded_retries(
        make_app, settings, bus, recorder, selection, models, storage):
    provider = ScriptedProvider(failures=99)
    async with running(make_app(settings=fast(settings, MODEL_MAX_ATTEMPTS=3),
                                provider=provider)):
        event, failed = await outcome(bus, recorder, selection(), ModelFailed)
    assert len(provider.calls) == 3
    assert failed.error_message == "provider broke (3)" and failed.task_id == event.task_id
    retrying = recorder.of(ModelProgressed, model_id=event.model_id, status="RETRYING")
    assert len(retrying) == 2
    doc = await models.find_one({"_id": event.model_id})
    assert doc["job"]["status"] == "FAILED" and doc["job"]["attempts"] == 3
    assert doc["failed_at"] is not None and doc["error_message"] == "provider broke (3)"
    assert not (storage.root / "models" / event.model_id).exists()
    assert not recorder.of(ModelReady, model_id=event.model_id)


async def test_a_permanent_error_fails_the_model_without_retrying(
        make_app, bus, recorder, selection):
    provider = ScriptedProvider(failures=1, retryable=False)
    async with running(make_app(provider=provider)):
        event, _ = await outcome(bus, recorder, selection(), ModelFailed)
    assert len(provider.calls) == 1


async def test_a_transient_failure_is_retried_and_then_succeeds(
        make_app, bus, recorder, selection, models):
    provider = ScriptedProvider(failures=1)
    async with running(make_app(provider=provider)) as client:
        event, _ = await outcome(bus, recorder, selection(), ModelReady)
        item = (await client.get("/api/users/models", headers=as_user("user-1"))).json()
    assert item["data"]["items"][0]["generationJob"]["retryCount"] == 1
    assert item["data"]["items"][0]["errorMessage"] is None
    assert not recorder.of(ModelFailed, model_id=event.model_id)


async def test_an_attempt_over_its_time_limit_fails_the_model(
        make_app, settings, bus, recorder, selection):
    provider = ScriptedProvider(hang=True)
    app = make_app(settings=fast(settings, MODEL_ATTEMPT_TIMEOUT=0.2, MODEL_MAX_ATTEMPTS=1),
                   provider=provider)
    async with running(app):
        event, failed = await outcome(bus, recorder, selection(), ModelFailed)
    assert failed.error_message == "Model generation timed out"


async def test_an_unreadable_or_missing_source_image_fails_the_model(
        client, bus, recorder, selection, storage):
    garbage = await storage.put("images/bad/0.png", b"<html>not an image</html>")
    bad = selection(image_url=garbage)
    missing = selection(image_url=storage.url("images/missing/0.png"))
    blocked = selection(image_url="http://169.254.169.254/latest/meta-data/")
    for event in (bad, missing, blocked):
        await bus.publish(event)
    for event in (bad, missing, blocked):
        failed = await recorder.wait(ModelFailed, model_id=event.model_id)
        assert failed.error_message


async def test_a_failed_model_runs_again_when_image_selected_comes_with_the_retry_marker(
        make_app, settings, bus, recorder, selection, models):
    provider = ScriptedProvider(failures=1)
    async with running(make_app(settings=fast(settings, MODEL_MAX_ATTEMPTS=1),
                                provider=provider)):
        event, failed = await outcome(bus, recorder, selection(), ModelFailed)
        retry = selection(task_id=event.task_id, model_id=event.model_id,
                          image_id=event.image_id, retry=True, attempt=2)
        await bus.publish(retry)
        ready = await recorder.wait(ModelReady, model_id=event.model_id)
    assert ready.version > failed.version
    doc = await models.find_one({"_id": event.model_id})
    assert doc["job"]["status"] == "COMPLETED" and doc["failed_at"] is None
    assert doc["error_message"] is None and await models.count_documents({}) == 1


async def test_a_retry_marker_for_a_model_that_did_not_fail_is_a_no_op(
        client, bus, recorder, selection, models):
    event = selection()
    await bus.publish(event)
    await recorder.wait(ModelReady, model_id=event.model_id)
    before = await models.find_one({"_id": event.model_id})
    await bus.publish(selection(task_id=event.task_id, model_id=event.model_id, retry=True,
                                attempt=2))
    await bus.drain()
    after = await models.find_one({"_id": event.model_id})
    assert after["version"] == before["version"]
    assert len(recorder.of(ModelReady, model_id=event.model_id)) == 1


def _stored_job(selection, **job):
    event = selection()
    doc = new_model_document(
        model_id=event.model_id, user_id=event.user_id, task_id=event.task_id,
        image_id=event.image_id, image_url=event.image_url, prompt=event.prompt,
        visibility=Visibility.PUBLIC, now=utcnow(), deadline=3600, default_format="GLB")
    doc["job"].update(job)
    return event, doc


async def test_a_job_left_running_by_a_crashed_worker_resumes_once_its_lease_expired(
        make_app, bus, recorder, selection, models):
    past = utcnow() - timedelta(seconds=5)
    event, doc = _stored_job(selection, status="RUNNING", attempts=1, lease_token="dead:1",
                             lease_until=past, provider_job_id="sim-previous")
    await models.insert_one(doc)
    provider = ScriptedProvider()
    async with running(make_app(provider=provider)):
        await recorder.wait(ModelReady, model_id=event.model_id)
    assert provider.calls == ["sim-previous"]  # the provider job is resumed, not resubmitted
    assert (await models.find_one({"_id": event.model_id}))["job"]["attempts"] == 2


async def test_a_job_that_crashed_as_often_as_allowed_is_failed_not_run_again(
        make_app, settings, bus, recorder, selection, models):
    past = utcnow() - timedelta(seconds=5)
    event, doc = _stored_job(selection, status="RUNNING", attempts=3, lease_token="dead:1",
                             lease_until=past)
    await models.insert_one(doc)
    provider = ScriptedProvider()
    async with running(make_app(settings=fast(settings, MODEL_MAX_ATTEMPTS=3),
                                provider=provider)):
        failed = await recorder.wait(ModelFailed, model_id=event.model_id)
    assert provider.calls == [] and "3 attempts" in failed.error_message


async def test_a_job_past_its_deadline_is_failed_by_the_sweeper(
        make_app, bus, recorder, selection, models):
    event, doc = _stored_job(selection, status="RETRYING", attempts=1,
                             next_run_at=utcnow() + timedelta(hours=1),
                             deadline_at=utcnow() - timedelta(seconds=1))
    await models.insert_one(doc)
    async with running(make_app(provider=ScriptedProvider())):
        failed = await recorder.wait(ModelFailed, model_id=event.model_id)
    assert failed.error_message == "Model generation timed out"


async def test_stopping_the_service_hands_running_jobs_back_for_the_next_start(
        make_app, bus, recorder, selection, models):
    hanging = ScriptedProvider(hang=True)
    event = selection()
    async with running(make_app(provider=hanging)):
        await bus.publish(event)
        await wait_for(hanging.started.is_set)
    for queue in ("modeling.image.selected", "modeling.task.deleted"):
        bus.unsubscribe(queue)  # a shared bus keeps the stopped app's consumers
    doc = await models.find_one({"_id": event.model_id})
    assert doc["job"]["status"] == "PENDING" and doc["job"]["attempts"] == 0
    assert doc["job"]["lease_token"] is None
    async with running(make_app(provider=ScriptedProvider())):
        await recorder.wait(ModelReady, model_id=event.model_id)


async def test_deleting_a_model_while_its_job_runs_stops_it_and_leaves_no_files(
        make_app, bus, recorder, selection, storage, models):
    hanging = ScriptedProvider(hang=True)
    app = make_app(provider=hanging)
    async with running(app) as client:
        event = selection()
        await bus.publish(event)
        await wait_for(hanging.started.is_set)
        response = await client.delete(f"/api/models/{event.model_id}",
                                       headers=as_user(event.user_id))
        assert response.status_code == 200
        hanging.release.set()
        await wait_for(lambda: not app.state.worker.running)
    assert not recorder.of(ModelReady, model_id=event.model_id)
    assert not (storage.root / "models" / event.model_id).exists()
