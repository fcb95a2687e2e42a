"""Provider trouble: retries with backoff, timeouts, final failures that reach IMAGE_FAILED and
FAILED visibly, the user's image retry, and the prompt-variant fallback."""

import asyncio

from generation.providers.base import ProviderError
from generation.providers.simulated import render
from lumi_shared.testing import as_user

VARIANTS = [f"variant {i}" for i in range(4)]


class FixedWriter:
    name = "fixed"

    def __init__(self, result=None, error=None, hang=False):
        self.result, self.error, self.hang, self.calls = result or VARIANTS, error, hang, 0

    async def variants(self, prompt, count):
        self.calls += 1
        if self.hang:
            await asyncio.Event().wait()
        if self.error:
            raise self.error
        return list(self.result)

    async def aclose(self):
        pass


class ScriptedProvider:
    """Fails the listed variants `failures` times each (forever when None), else renders."""

    name = "scripted"

    def __init__(self, failing=(), failures=None, error=None, hang=False, garbage=False):
        self.failing, self.failures = set(failing), failures
        self.error = error or ProviderError("Image provider answered HTTP 500")
        self.hang, self.garbage = hang, garbage
        self.calls: dict[str, int] = {}

    async def generate(self, prompt, *, seed):
        self.calls[prompt] = self.calls.get(prompt, 0) + 1
        if prompt in self.failing:
            if self.hang:
                await asyncio.Event().wait()
            if self.garbage:
                return b"<html>not an image</html>"
            if self.failures is None or self.calls[prompt] <= self.failures:
                raise self.error
        return render(prompt, seed, 64)

    async def aclose(self):
        pass


def app_with(open_app, provider, writer=None, **settings):
    return open_app({"image_provider": provider, "llm": writer or FixedWriter()}, **settings)


async def test_transient_errors_are_retried_and_counted(open_app):
    provider = ScriptedProvider(failing=VARIANTS, failures=2)
    async with app_with(open_app, provider) as h:
        task = await h.ready_task()
    assert task["status"] == "IMAGE_COMPLETED"
    assert all(img["generationJob"] == {"status": "COMPLETED", "retryCount": 2}
               for img in task["images"])
    assert all(img["failedAt"] is None for img in task["images"])
    assert set(provider.calls.values()) == {3}


async def test_an_image_failing_every_attempt_fails_the_task_visibly(open_app):
    provider = ScriptedProvider(failing=["variant 2"])
    async with app_with(open_app, provider) as h:
        created = await h.create()
        await h.settle()
        response = await h.client.get(f"/api/tasks/{created['id']}/status",
                                      params={"since": created["updatedAt"]},
                                      headers=as_user("u1"))
        assert response.status_code == 200
        task = response.json()["data"]
        assert (task["status"], task["phase"]) == ("IMAGE_FAILED", "IMAGE_GENERATION")
        assert task["errorMessage"] == "1 of 4 images failed: Image provider answered HTTP 500"
        failed = task["images"][2]
        assert failed["imageStatus"] == "FAILED" and failed["failedAt"]
        assert failed["errorMessage"] == "Image provider answered HTTP 500"
        assert failed["generationJob"] == {"status": "FAILED", "retryCount": 2}
        assert provider.calls["variant 2"] == 3
        assert [e.index for e in h.published("image.failed", created["id"])] == [2]
        (failure,) = h.published("task.failed", created["id"])
        assert failure.status == "IMAGE_FAILED"
        assert not h.published("task.images_ready", created["id"])


async def test_a_refused_request_is_not_retried(open_app):
    provider = ScriptedProvider(failing=["variant 0"],
                                error=ProviderError("Image provider answered HTTP 400",
                                                    retryable=False))
    async with app_with(open_app, provider) as h:
        task = await h.ready_task()
    assert task["status"] == "IMAGE_FAILED" and provider.calls["variant 0"] == 1


async def test_a_hanging_provider_times_out_per_image(open_app):
    provider = ScriptedProvider(failing=["variant 1"], hang=True)
    async with app_with(open_app, provider, IMAGE_TIMEOUT=0.05, IMAGE_MAX_ATTEMPTS=2) as h:
        task = await h.ready_task()
    assert task["status"] == "IMAGE_FAILED"
    assert task["images"][1]["errorMessage"] == "Image provider timed out"


async def test_bytes_that_are_not_an_image_fail_the_image(open_app):
    provider = ScriptedProvider(failing=["variant 3"], garbage=True)
    async with app_with(open_app, provider, IMAGE_MAX_ATTEMPTS=1) as h:
        task = await h.ready_task()
    assert task["images"][3]["imageStatus"] == "FAILED"
    assert "not an image" in task["images"][3]["errorMessage"]


async def test_retrying_images_reruns_only_the_failed_ones_and_reaches_selection(open_app):
    provider = ScriptedProvider(failing=["variant 2"], failures=3)
    async with app_with(open_app, provider) as h:
        task = await h.ready_task()
        assert task["status"] == "IMAGE_FAILED"
        kept = task["images"][0]["imageUrl"]
        response = await h.client.post(f"/api/tasks/{task['id']}/retry", json={"type": "image"},
                                       headers=as_user("u1"))
        assert response.status_code == 200
        retried = response.json()["data"]
        assert retried["status"] == "IMAGE_GENERATING" and retried["errorMessage"] is None
        assert retried["images"][2]["imageStatus"] == "PENDING"
        await h.settle()
        done = await h.task(task["id"])
        assert (done["status"], done["phase"]) == ("IMAGE_COMPLETED", "AWAITING_SELECTION")
        assert done["images"][0]["imageUrl"] == kept
        assert provider.calls == {"variant 0": 1, "variant 1": 1, "variant 2": 4, "variant 3": 1}
        assert h.published("task.images_retried", task["id"])[0].indexes == [2]


async def test_llm_failure_falls_back_to_the_users_prompt(open_app):
    writer = FixedWriter(error=ProviderError("LLM provider answered HTTP 503"))
    async with app_with(open_app, ScriptedProvider(), writer) as h:
        task = await h.ready_task("a blue whale")
    assert [img["imagePrompt"] for img in task["images"]] == ["a blue whale"] * 4
    assert task["status"] == "IMAGE_COMPLETED"


async def test_a_hanging_llm_falls_back_within_its_timeout(open_app):
    async with app_with(open_app, ScriptedProvider(), FixedWriter(hang=True),
                        LLM_TIMEOUT=0.01) as h:
        task = await h.ready_task("a blue whale")
    assert task["status"] == "IMAGE_COMPLETED"
    assert task["images"][0]["imagePrompt"] == "a blue whale"


async def test_stored_variants_are_reused_on_retry_without_calling_the_llm_again(open_app):
    writer = FixedWriter()
    async with app_with(open_app, ScriptedProvider(failing=["variant 1"], failures=3),
                        writer) as h:
        task = await h.ready_task()
        await h.client.post(f"/api/tasks/{task['id']}/retry", json={"type": "image"},
                            headers=as_user("u1"))
        await h.settle()
        assert (await h.task(task["id"]))["images"][1]["imagePrompt"] == "variant 1"
    assert writer.calls == 1


async def test_an_image_stops_retrying_when_its_whole_budget_is_spent(open_app):
    provider = ScriptedProvider(failing=["variant 0"], hang=True)
    async with app_with(open_app, provider, IMAGE_TIMEOUT=5.0, IMAGE_DEADLINE=0.1,
                        IMAGE_MAX_ATTEMPTS=5) as h:
        task = await h.ready_task()
    assert task["images"][0]["errorMessage"] == "Image provider timed out"
    assert provider.calls["variant 0"] == 1
