"""The worker claims the runnable jobs of a tick at once, each with one guarded write from the
document it just listed: one after the other, a read and a write each, a slow database left
most slots idle while the queue waited for its claims (the fault suite: 20 models PENDING,
2-4 RUNNING, at concurrency 8)."""

import asyncio

from lumi_shared.contracts.base import utcnow
from modeling.domain.model import Visibility, new_model_document


class WaitingProvider:
    """Holds every job until the test ends (the jobs' own writes stay out of the count)."""

    name = "waiting"

    async def generate(self, job, reporter):
        await asyncio.Event().wait()


class SlowCollection:
    """The models collection with a database round trip on every guarded write; counts the
    reads of one document and the writes in flight at once."""

    def __init__(self, collection):
        self.collection, self.reads, self.in_flight, self.most = collection, 0, 0, 0

    async def find_one(self, *args, **kwargs):
        self.reads += 1
        return await self.collection.find_one(*args, **kwargs)

    async def find_one_and_update(self, *args, **kwargs):
        self.in_flight += 1
        self.most = max(self.most, self.in_flight)
        try:
            await asyncio.sleep(0.05)
            return await self.collection.find_one_and_update(*args, **kwargs)
        finally:
            self.in_flight -= 1

    def __getattr__(self, name):
        return getattr(self.collection, name)


async def test_a_tick_claims_its_jobs_at_once_without_reading_them_again(
        make_app, settings, selection, models):
    app = make_app(settings=settings.model_copy(update={"MODEL_WORKER_CONCURRENCY": 4}),
                   provider=WaitingProvider())
    worker = app.state.worker
    for _ in range(4):
        event = selection()
        await models.insert_one(new_model_document(
            model_id=event.model_id, user_id=event.user_id, task_id=event.task_id,
            image_id=event.image_id, image_url=event.image_url, prompt=event.prompt,
            visibility=Visibility.PUBLIC, now=utcnow(), deadline=3600, default_format="GLB"))
    worker.repo.store.collection = slow = SlowCollection(worker.repo.store.collection)
    try:
        await worker.tick()
        assert len(worker.running) == 4
        assert slow.reads == 0 and slow.most == 4
        assert await models.count_documents({"job.status": "RUNNING", "job.attempts": 1}) == 4
    finally:
        await worker.stop()
