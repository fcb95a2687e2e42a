"""The model job worker: claims runnable jobs, runs the provider, stores the files, and
records the outcome with its event (outbox) - bounded in attempts and in time.

Recovery: a job is claimed with a lease (token + expiry) renewed by a heartbeat. A job
whose worker crashed keeps status RUNNING with an expiring lease; any worker (this one on
restart, or another replica) re-claims it once the lease has expired and resumes - with
the provider job id it stored, so a Hunyuan job is polled again rather than resubmitted.
Every claim counts as an attempt (a crash loop ends in FAILED); each attempt has a
timeout, and a sweeper fails any job past its overall deadline. A graceful shutdown hands
running jobs back (PENDING, attempt not counted). So no model stays non-final forever.
"""

import asyncio
import time
import uuid
from datetime import datetime, timedelta
from typing import Any

import structlog

from lumi_shared.contracts.base import utcnow
from lumi_shared.fetch import FetchError
from lumi_shared.loop import BackgroundLoop
from lumi_shared.tracing import continued, tracer

from .domain import transitions
from .domain.model import ACTIVE, JobStatus
from .files import delete_keys, store_files
from .providers.base import ModelProvider, ProviderError, ProviderJob
from .repository import ModelRepository, purge_time

log = structlog.get_logger("modeling.worker")


class LeaseLost(Exception):
    """The job was deleted, timed out or taken over while this worker ran it."""


def runnable_filter(now: datetime) -> dict[str, Any]:
    return {"$or": [
        {"job.status": JobStatus.PENDING.value},
        {"job.status": JobStatus.RETRYING.value, "job.next_run_at": {"$lte": now}},
        {"job.status": JobStatus.RUNNING.value, "job.lease_until": {"$lt": now}},
    ]}


def public_message(exc: BaseException) -> str:
    if isinstance(exc, TimeoutError):
        return "Model generation timed out"
    if isinstance(exc, ProviderError | FetchError):
        return str(exc)[:300] or "Model generation failed"
    return "Model generation failed"  # internal errors are logged, not shown


class _Reporter:
    def __init__(self, worker: "ModelWorker", model_id: str, token: str,
                 interval: float = 0.0, clock=time.monotonic) -> None:
        """`interval`: a progress report within this many seconds of the last written one is
        skipped (a fast provider's steps need not each cost a write and an event)."""
        self.worker, self.model_id, self.token = worker, model_id, token
        self.last: tuple[int, str] = (-1, "")
        self.interval, self.clock, self.written_at = interval, clock, None

    async def _change(self, build) -> None:
        doc = await self.worker.repo.change(self.model_id, build,
                                            where={"job.lease_token": self.token})
        if doc is None:
            raise LeaseLost()

    async def submitted(self, provider_job_id: str) -> None:
        await self._change(lambda d: transitions.submitted(
            d, provider_job_id=provider_job_id, now=utcnow()))

    async def progress(self, progress: int, status: str) -> None:
        if progress <= self.last[0] and status == self.last[1]:
            return
        if (self.written_at is not None and status == self.last[1]
                and self.clock() - self.written_at < self.interval):
            return
        self.last = (max(progress, self.last[0]), status)
        self.written_at = self.clock()
        await self._change(lambda d: transitions.progressed(
            d, progress=self.last[0], status=status, now=utcnow()))


class ModelWorker:
    def __init__(self, *, repo: ModelRepository, provider: ModelProvider, storage: Any,
                 loader: Any, settings: Any, queue: Any) -> None:
        self.repo, self.provider, self.storage, self.loader = repo, provider, storage, loader
        self.settings = settings
        self.queue = queue  # lumi_shared.queues.QueueControl: live concurrency/timeout/retries/active
        self.worker_id = uuid.uuid4().hex[:12]
        self.running: dict[str, asyncio.Task] = {}
        self._lost: dict[str, asyncio.Event] = {}
        self._stopping = False
        self.loop = BackgroundLoop("model-worker", self.tick, run_first=True,
                                   interval=settings.MODEL_WORKER_POLL_INTERVAL)

    def wake(self) -> None:
        self.loop.wake()

    def start(self) -> None:
        self._stopping = False
        self.loop.start()

    async def stop(self, grace: float = 5.0) -> None:
        self._stopping = True
        await self.loop.stop()
        tasks = list(self.running.values())
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.wait(tasks, timeout=grace)

    async def tick(self) -> None:
        now = utcnow()
        await self._fail_overdue(now)
        await self.delete_pending_files()
        free = self.queue.config.concurrency - len(self.running)
        if free <= 0 or self._stopping or not self.queue.active:  # paused: no job starts
            return
        docs = [doc for doc in await self.repo.runnable(now, free + len(self.running))
                if doc["_id"] not in self.running][:free]
        # Claimed at once, each from the document just read (one guarded write, no second
        # read): one after the other, a read and a write each, a slow database let a few
        # slots work while the rest of the queue waited for its claim.
        await asyncio.gather(*(self._claim_and_start(doc["_id"], now, current=doc)
                               for doc in docs))

    async def _claim_and_start(self, model_id: str, now: datetime,
                               current: dict[str, Any] | None = None) -> None:
        if self._stopping or not self.queue.active:
            return
        token = f"{self.worker_id}:{uuid.uuid4().hex[:8]}"
        max_attempts = self.queue.config.retries + 1

        def build(doc: dict[str, Any]) -> transitions.Change:
            if doc["job"]["attempts"] >= max_attempts:
                return transitions.failed(doc, now=now, message=doc["job"].get(
                    "error_message") or f"Model generation gave up after {max_attempts} attempts")
            return transitions.claim(doc, token=token, now=now,
                                     lease=self.settings.MODEL_JOB_LEASE)

        doc = await self.repo.change(model_id, build, where=runnable_filter(now), current=current)
        if doc is None or doc["job"]["status"] != JobStatus.RUNNING:
            if doc is not None:
                await self._delete_files(model_id)
            return
        log.info("model_job_claimed", model_id=model_id, attempt=doc["job"]["attempts"])
        self._lost[model_id] = lost = asyncio.Event()
        self.running[model_id] = asyncio.get_running_loop().create_task(
            self._traced_run(doc, token, lost), name=f"model-job-{model_id}")

    async def _traced_run(self, doc: dict[str, Any], token: str, lost: asyncio.Event) -> None:
        """The job continues the trace of the selection that asked for the model."""
        with continued(doc.get("traceparent")), tracer("modeling").start_as_current_span(
                "model job", attributes={"lumi.model_id": doc["_id"]}):
            await self._run(doc, token, lost)

    async def _run(self, doc: dict[str, Any], token: str, lost: asyncio.Event) -> None:
        model_id = doc["_id"]
        url = doc["source_image_url"]
        run_task = asyncio.current_task()
        heartbeat = asyncio.get_running_loop().create_task(
            self._heartbeat(model_id, token, lost, run_task))
        job = ProviderJob(model_id=model_id, image_url=url,
                          load_image=lambda: self.loader.load(url),
                          resume_job_id=doc["job"].get("provider_job_id"))
        try:
            async with asyncio.timeout(self.queue.config.timeout):
                result = await self.provider.generate(job, _Reporter(
                    self, model_id, token, self.settings.MODEL_PROGRESS_INTERVAL))
            files = await store_files(self.storage, doc, result,
                                      self.settings.MODEL_DEFAULT_FORMAT)
            done = await self.repo.change(
                model_id, lambda d: transitions.ready(d, files=files, now=utcnow()),
                where={"job.lease_token": token})
            if done is None:
                raise LeaseLost()
            log.info("model_ready", model_id=model_id, faces=files.face_count,
                     vertices=files.vertex_count, size=files.file_size)
        except LeaseLost:
            await self._after_lost(model_id)
        except asyncio.CancelledError:
            if lost.is_set() and not self._stopping:
                run_task.uncancel()
                await self._after_lost(model_id)
            else:
                await self._release(model_id, token)
                raise
        except Exception as exc:
            await self._attempt_failed(model_id, token, exc)
        finally:
            heartbeat.cancel()
            self.running.pop(model_id, None)
            self._lost.pop(model_id, None)
            self.wake()

    async def _heartbeat(self, model_id: str, token: str, lost: asyncio.Event,
                         run_task: asyncio.Task) -> None:
        lease = self.settings.MODEL_JOB_LEASE
        while True:
            await asyncio.sleep(lease / 3)
            try:
                renewed = await self.repo.renew_lease(
                    model_id, token, utcnow() + timedelta(seconds=lease))
            except Exception as exc:  # keep trying; the lease covers a short outage
                log.warning("model_lease_renew_failed", model_id=model_id, error=str(exc))
                continue
            if not renewed:
                lost.set()
                run_task.cancel()
                return

    async def _attempt_failed(self, model_id: str, token: str, exc: Exception) -> None:
        retryable = getattr(exc, "retryable", True)
        message = public_message(exc)
        log.warning("model_attempt_failed", model_id=model_id, retryable=retryable,
                    error=f"{type(exc).__name__}: {exc}")
        settings, now = self.settings, utcnow()
        max_attempts = self.queue.config.retries + 1

        def build(doc: dict[str, Any]) -> transitions.Change:
            attempts = doc["job"]["attempts"]
            if retryable and attempts < max_attempts:
                delay = min(settings.MODEL_RETRY_BASE_DELAY * 2 ** (attempts - 1),
                            settings.MODEL_RETRY_MAX_DELAY)
                return transitions.retry_later(doc, message=message, now=now, delay=delay)
            return transitions.failed(doc, message=message, now=now)

        doc = await self.repo.change(model_id, build, where={"job.lease_token": token})
        if doc is None or doc["job"]["status"] == JobStatus.FAILED:
            await self._delete_files(model_id)

    async def _release(self, model_id: str, token: str) -> None:
        try:
            await self.repo.change(model_id, lambda d: transitions.release(d, now=utcnow()),
                                   where={"job.lease_token": token})
        except Exception as exc:  # the lease expires anyway; the job is then re-claimed
            log.warning("model_job_release_failed", model_id=model_id, error=str(exc))

    async def _after_lost(self, model_id: str) -> None:
        doc = await self.repo.get(model_id)
        if doc is None or doc["job"]["status"] == JobStatus.FAILED:
            await self._delete_files(model_id)

    async def _fail_overdue(self, now: datetime) -> None:
        for doc in await self.repo.overdue(now):
            await self.repo.change(
                doc["_id"], lambda d: transitions.failed(
                    d, message=d["job"].get("error_message") or "Model generation timed out",
                    now=now),
                where={"job.status": {"$in": [s.value for s in ACTIVE]}})
            task, lost = self.running.get(doc["_id"]), self._lost.get(doc["_id"])
            if task and lost:
                lost.set()
                task.cancel()
            log.warning("model_job_overdue", model_id=doc["_id"])

    async def _delete_files(self, model_id: str) -> None:
        try:
            await self.storage.delete_prefix(f"models/{model_id}/")
        except Exception as exc:
            log.warning("model_files_delete_failed", model_id=model_id, error=str(exc))

    async def delete_pending_files(self) -> None:
        """Files of deleted models, and the old copies of models turned private (retried
        here when the first attempt failed)."""
        for doc in await self.repo.stale_files():
            try:
                await delete_keys(self.storage, doc["stale_files"])
            except Exception as exc:
                log.warning("model_files_delete_failed", model_id=doc["_id"], error=str(exc))
                continue
            await self.repo.forget_stale_files(doc["_id"], doc["stale_files"])
        for doc in await self.repo.pending_file_deletions():
            try:
                await self.storage.delete_prefix(f"models/{doc['_id']}/")
            except Exception as exc:
                log.warning("model_files_delete_failed", model_id=doc["_id"], error=str(exc))
                continue
            await self.repo.mark_files_deleted(
                doc["_id"], purge_time(utcnow(), self.settings.MODEL_TOMBSTONE_TTL))
