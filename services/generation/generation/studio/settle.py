"""Settling a generation from what the provider says, whoever asks: the signed webhook, the
reconciler (no callback in time), or an old client's handle-failure. Only final provider
states settle; a settled generation never moves again."""

import json
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

import structlog

from lumi_shared.errors import Conflict, NotFound, ServiceUnavailable
from lumi_shared.fetch import BlockedURL, FetchError

from ..providers.base import ProviderError
from . import domain, webhooks
from .domain import FINAL, InvalidParameters, Status
from .providers.kie import ProviderTask, parse_record
from .results import final_fetch_failure
from .service import Studio

log = structlog.get_logger("lumi.generation.studio")


class WebhookReplayed(Conflict):
    code, default_message = "WEBHOOK_REPLAYED", "This webhook id was already processed"


class NotReady(ServiceUnavailable):
    default_message = "The generation is not ready for its result yet, please retry"


async def settle(studio: Studio, doc: dict[str, Any], task: ProviderTask) -> dict[str, Any]:
    if doc["status"] in FINAL:
        return doc
    if doc["status"] == Status.PENDING:
        raise NotReady()
    gid = doc["_id"]
    if task.state == "running":
        done = await studio.repo.mutate(gid, domain.progressed(task.progress or 50))
    elif task.state == "fail":
        done = await studio.repo.mutate(gid, domain.failed("GENERATION_FAILED", task.error))
    else:
        urls = task.urls[:studio.settings.STUDIO_MAX_RESULT_IMAGES]
        try:
            images = await studio.results.copy_results(gid, urls)
        except FetchError as exc:
            if not final_fetch_failure(exc):
                raise NotReady("The result images could not be fetched yet") from None
            done = await studio.repo.mutate(gid, domain.failed("RESULT_UNAVAILABLE", str(exc)))
        else:
            done = await studio.repo.mutate(gid, domain.completed(images))
    after = done.doc if done else doc
    if after["status"] in FINAL:
        log.info("studio_generation_settled", generation_id=gid, status=after["status"])
    return after


async def receive_webhook(*, studio: Studio, headers: Mapping[str, str], body: bytes,
                          generation_hint: str | None) -> dict[str, Any]:
    settings = studio.settings
    msg_id = webhooks.verify(settings.STUDIO_WEBHOOK_SECRET, headers, body,
                             tolerance=settings.STUDIO_WEBHOOK_TOLERANCE)
    try:
        payload = json.loads(body)
        task = parse_record(payload if isinstance(payload, dict) else {})
    except ValueError as exc:
        raise InvalidParameters(f"Malformed callback: {str(exc)[:120]}") from None
    doc = await studio.repo.by_remote_task(task.task_id)
    if doc is None and generation_hint:
        # A callback may beat the create request to storing the provider's task id.
        hinted = await studio.repo.get(generation_hint[:64])
        if hinted is not None and not hinted.get("remoteTaskId"):
            doc = hinted
    if doc is None:
        raise NotFound("Generation not found")
    if task.state == "success":
        try:
            studio.results.check(task.urls)
        except BlockedURL as exc:
            log.warning("studio_result_host_refused", generation_id=doc["_id"])
            raise InvalidParameters(f"Result {exc}") from None
    if not await studio.repo.claim_webhook(msg_id):
        raise WebhookReplayed()
    try:
        if not doc.get("remoteTaskId"):
            await studio.repo.mutate(doc["_id"], domain.submitted(task.task_id))
        after = await settle(studio, doc, task)
    except Exception:
        await studio.repo.release_webhook(msg_id)
        raise
    return {"status": "accepted", "taskId": task.task_id, "state": task.state,
            "generation_status": after["status"]}


async def reconcile_one(studio: Studio, generation_id: str) -> dict[str, Any] | None:
    """Ask the provider about one unsettled generation; expire it past its deadline."""
    doc = await studio.repo.get(generation_id)
    if doc is None or doc["status"] in FINAL:
        return doc
    settings, now = studio.settings, studio.repo.clock()
    age = now - doc["createdAt"]
    if doc["status"] == Status.PENDING:
        if age > timedelta(seconds=settings.STUDIO_PENDING_TIMEOUT):
            done = await studio.repo.mutate(generation_id, domain.failed(
                "EXPIRED", "The generation was never sent to the provider"))
            return done.doc if done else doc
        return doc
    if doc.get("remoteTaskId"):
        try:
            doc = await settle(studio, doc, await studio.provider.query_task(doc["remoteTaskId"]))
        except (ProviderError, NotReady) as exc:
            log.info("studio_reconcile_deferred", generation_id=generation_id,
                     error=getattr(exc, "message", str(exc)))
    elif age > timedelta(seconds=settings.STUDIO_CALLBACK_GRACE):
        done = await studio.repo.mutate(generation_id, domain.failed(
            "API_CALL_FAILED", "The provider never accepted the task"))
        return done.doc if done else doc
    if doc["status"] not in FINAL and age > timedelta(seconds=settings.STUDIO_DEADLINE):
        done = await studio.repo.mutate(generation_id, domain.failed(
            "GENERATION_TIMEOUT", "The provider did not finish in time"))
        return done.doc if done else doc
    return doc
