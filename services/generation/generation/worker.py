"""The image worker: prompt variants, then the task's pending images with bounded concurrency,
per-image timeouts and retries with backoff; results go to object storage.

Safe against redelivery: images already COMPLETED (or claimed under a live lease) are
skipped, and every write is guarded by the claim token of the image it concerns.
"""

import asyncio
import hashlib
import random
import uuid
import weakref
from datetime import timedelta
from typing import Any

import structlog

from lumi_shared.storage import ObjectStorage

from .config import Settings
from .domain import IMAGE_COUNT, RequestPhase
from .domain import images as image_jobs
from .providers import ImageProvider, PromptWriter, ProviderError
from .providers.imaging import to_png
from .repository import TaskRepository

log = structlog.get_logger("lumi.generation.worker")


# Tasks with images nobody has started yet (what a paused queue leaves behind).
WAITING_IMAGES = {"deletedAt": None, "phase": "IMAGE_GENERATION",
                  "images": {"$elemMatch": {"imageStatus": "PENDING"}}}


def image_key(task_id: str, index: int) -> str:
    return f"images/{task_id}/{index}.png"


def _seed(task_id: str, index: int) -> int:
    return int.from_bytes(hashlib.sha256(f"{task_id}:{index}".encode()).digest()[:4], "big") >> 1


def _describe(exc: Exception) -> tuple[str, bool]:
    if isinstance(exc, ProviderError):
        return exc.message, exc.retryable
    if isinstance(exc, TimeoutError):
        return "Image provider timed out", True
    return "Image generation failed (internal error)", True


class _TaskWrites:
    """One task's writes from this worker: a lock (one at a time) and the document the last
    write (or read) left."""

    __slots__ = ("lock", "doc", "__weakref__")

    def __init__(self) -> None:
        self.lock = asyncio.Lock()
        self.doc: dict[str, Any] | None = None


class ImageWorker:
    def __init__(self, *, repo: TaskRepository, provider: ImageProvider, writer: PromptWriter,
                 storage: ObjectStorage, settings: Settings, queue: Any) -> None:
        self.repo, self.provider, self.writer, self.storage = repo, provider, writer, storage
        self.settings = settings
        self.queue = queue  # lumi_shared.queues.QueueControl `image_generation` (live, pausable)
        self.lease = timedelta(seconds=settings.image_lease_seconds)
        self._was_active = queue.active
        self._resuming: asyncio.Task | None = None
        self._tasks: weakref.WeakValueDictionary[str, _TaskWrites] = (
            weakref.WeakValueDictionary())
        queue.on_change(self._queue_changed)

    def _writes(self, task_id: str) -> "_TaskWrites":
        writes = self._tasks.get(task_id)
        if writes is None:
            writes = self._tasks[task_id] = _TaskWrites()
        return writes

    async def _mutate(self, task_id: str, transition: Any):
        """The task's writes from this worker, one at a time: its four images writing at once
        all read the same `rev` and three retry, round after round (on a slow database,
        about ten guarded writes where four do). Each write starts from the document the
        previous one left (no read first); the `rev` guard re-reads only when someone else
        changed the task meanwhile."""
        writes = self._writes(task_id)
        async with writes.lock:
            result = await self.repo.mutate(task_id, transition, current=writes.doc)
            writes.doc = result.doc if result is not None else None
            return result

    def _queue_changed(self) -> None:
        if self.queue.active and not self._was_active:
            self._resuming = asyncio.get_running_loop().create_task(self.resume())
        self._was_active = self.queue.active

    async def resume(self, batches: int = 10) -> None:
        """After a pause: run the tasks whose images waited (any replica may; claims are
        guarded, so a task run twice is generated once)."""
        seen: set[str] = set()
        for _ in range(batches):
            ids = [i for i in await self.repo.find_ids(WAITING_IMAGES, 100) if i not in seen]
            if not ids or not self.queue.active:
                return
            seen.update(ids)
            log.info("image_generation_resumed", tasks=len(ids))
            await asyncio.gather(*(self.run(i) for i in ids), return_exceptions=True)

    async def run(self, task_id: str) -> None:
        if not self.queue.active:  # paused: the images stay PENDING until `resume`
            log.info("image_generation_paused", task_id=task_id)
            return
        writes = self._writes(task_id)  # held while the task runs: its last document
        doc = await self.repo.get(task_id)
        if doc is None or doc["phase"] != RequestPhase.IMAGE_GENERATION:
            return
        if writes.doc is None or writes.doc.get("rev", -1) < doc.get("rev", -1):
            writes.doc = doc
        now = self.repo.clock()
        todo = [img["index"] for img in doc["images"] if image_jobs.claimable(img, now)]
        if not todo:
            return
        prompts = await self._prompts(doc, todo)
        results = await asyncio.gather(*(self._image(task_id, i, prompts[i]) for i in todo),
                                       return_exceptions=True)
        errors = [r for r in results if isinstance(r, BaseException)]
        if errors:
            raise errors[0]

    async def _prompts(self, doc: dict[str, Any], todo: list[int]) -> dict[int, str]:
        stored = {img["index"]: img["imagePrompt"] for img in doc["images"] if img["imagePrompt"]}
        if all(i in stored for i in todo):
            return stored
        variants = [doc["prompt"]] * IMAGE_COUNT
        try:
            async with asyncio.timeout(self.settings.LLM_TIMEOUT + 1):
                answer = await self.writer.variants(doc["prompt"], IMAGE_COUNT)
            if len(answer) == IMAGE_COUNT and all(isinstance(v, str) and v for v in answer):
                variants = answer
        except (ProviderError, TimeoutError) as exc:
            log.warning("prompt_variants_fallback", task_id=doc["_id"], provider=self.writer.name,
                        reason=getattr(exc, "message", "timeout"))
        except Exception:
            log.exception("prompt_variants_fallback", task_id=doc["_id"],
                          provider=self.writer.name, reason="internal error")
        prompts = {i: stored.get(i) or variants[i] for i in range(IMAGE_COUNT)}
        await self._mutate(doc["_id"], image_jobs.set_prompts(prompts))
        return prompts

    async def _image(self, task_id: str, index: int, prompt: str) -> None:
        async with self.queue.slot():
            token = uuid.uuid4().hex
            claimed = await self._mutate(task_id, image_jobs.claim(index, token, self.lease))
            if claimed is None or not claimed.changed:
                return
            log.info("image_generation_started", task_id=task_id, index=index,
                     provider=self.provider.name, prompt_length=len(prompt))
            renewing = asyncio.create_task(self._renew(task_id, index, token))
            try:
                await self._attempts(task_id, index, prompt, token)
            except asyncio.CancelledError:
                # Give the image back before the cancellation goes on: the redelivered
                # message (or the sweeper) then claims it at once, nothing waits for the lease.
                try:
                    await asyncio.shield(self._mutate(task_id, image_jobs.release(index, token)))
                    log.info("image_released", task_id=task_id, index=index)
                except Exception as exc:  # the lease then runs out and the sweeper recovers it
                    log.warning("image_release_failed", task_id=task_id, index=index,
                                error=type(exc).__name__)
                raise
            finally:
                renewing.cancel()

    async def _renew(self, task_id: str, index: int, token: str) -> None:
        while True:
            await asyncio.sleep(self.lease.total_seconds() / 3)
            try:
                renewed = await self._mutate(task_id, image_jobs.renew(index, token, self.lease))
            except Exception as exc:  # the next renewal (or the sweeper) takes it from here
                log.warning("image_lease_renewal_failed", task_id=task_id, index=index,
                            error=type(exc).__name__)
                continue
            if renewed is None or not renewed.changed:
                return

    async def _attempts(self, task_id: str, index: int, prompt: str, token: str) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.settings.IMAGE_DEADLINE
        attempts = self.queue.config.retries + 1
        for attempt in range(1, attempts + 1):
            budget = min(self.queue.config.timeout, deadline - loop.time())
            try:
                await self._generate_once(task_id, index, prompt, token, budget)
                return
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                message, retryable = _describe(exc)
                if not isinstance(exc, ProviderError | TimeoutError):
                    log.exception("image_attempt_crashed", task_id=task_id, index=index)
                log.warning("image_attempt_failed", task_id=task_id, index=index,
                            attempt=attempt, retryable=retryable, error=message)
                delay = self.settings.IMAGE_RETRY_BASE_DELAY * 2 ** (attempt - 1)
                delay *= random.uniform(0.8, 1.2)
                out_of_time = loop.time() + delay + 1.0 >= deadline
                if not retryable or attempt >= attempts or out_of_time:
                    await self._mutate(task_id, image_jobs.fail(index, token, message))
                    log.info("image_failed", task_id=task_id, index=index, attempts=attempt)
                    return
                still_ours = await self._mutate(
                    task_id, image_jobs.retrying(index, token, attempt, self.lease))
                if still_ours is None or not still_ours.changed:
                    return
                await asyncio.sleep(delay)

    async def _generate_once(self, task_id: str, index: int, prompt: str, token: str,
                             budget: float) -> None:
        async with asyncio.timeout(budget):
            raw = await self.provider.generate(prompt, seed=_seed(task_id, index))
        png = await asyncio.to_thread(to_png, raw)
        key = image_key(task_id, index)
        url = await self.storage.put(key, png, "image/png")
        done = await self._mutate(task_id, image_jobs.complete(index, token, url))
        if done is None:  # the task was deleted meanwhile: its purge may already have run
            await self.storage.delete_prefix(f"images/{task_id}/")
            return
        if done.changed:
            log.info("image_completed", task_id=task_id, index=index, size=len(png))
