"""Studio generations: statuses, prompt assembly and the pure transitions of one generation.

pending (stored, not charged yet) -> processing (charged, sent to the provider) ->
completed | failed. completed and failed are final: a late or repeated callback never moves a
settled generation, so a success can never follow a refund. Every failure of a generation that
may have been charged emits `GenerationFailed`; auth refunds the debit keyed by the generation
id at most once, so emitting it again is harmless.
"""

import re
from datetime import datetime
from enum import StrEnum
from typing import Any

from lumi_shared.aggregate import Change, Transition
from lumi_shared.contracts import GenerationFailed
from lumi_shared.errors import ValidationFailed


class Status(StrEnum):
    PENDING = "pending"
    PROCESSING = "processing"
    COMPLETED = "completed"
    FAILED = "failed"


FINAL = frozenset({Status.COMPLETED, Status.FAILED})
MESSAGES = {Status.PENDING: "Generation is queued", Status.PROCESSING: "Generation in progress",
            Status.COMPLETED: "Generation completed", Status.FAILED: "Generation failed"}
_SEPARATORS = re.compile(r"[\s\-]+")
_SPACES = re.compile(r"\s+")


def normalize_gen_type(raw: str) -> str:
    """`" Action-Figure "` -> `action_figure`."""
    return _SEPARATORS.sub("_", raw.strip().lower())


def build_prompt(template_prompt: str, user_prompt: str, has_references: bool) -> str:
    parts = [template_prompt]
    if user_prompt:
        parts.append(f"Additional detail: {user_prompt}")
    if has_references:
        parts.append("Use the provided reference image(s) for the subject's look.")
    return _SPACES.sub(" ", " ".join(parts)).strip()


def _failed_event(doc: dict[str, Any], code: str, message: str) -> GenerationFailed:
    return GenerationFailed(generation_id=doc["_id"], user_id=doc["userId"],
                            credits=doc["creditsCost"], error_code=code,
                            error_message=message[:500])


def charged(doc: dict[str, Any], now: datetime) -> Change | None:
    """The debit succeeded. If the reconciler already failed the generation meanwhile, the
    debit must go back: say so again (the first refund may have found no debit yet)."""
    if doc["status"] == Status.PENDING:
        return Change({"status": Status.PROCESSING, "progress": 10, "charged": True,
                       "chargedAt": now})
    if doc["status"] == Status.FAILED and not doc.get("charged"):
        return Change({"charged": True},
                      [_failed_event(doc, doc.get("errorCode") or "EXPIRED", "late debit")])
    return None


def submitted(remote_task_id: str) -> Transition:
    def apply(doc: dict[str, Any], now: datetime) -> Change | None:
        if doc.get("remoteTaskId"):
            return None
        return Change({"remoteTaskId": remote_task_id, "submittedAt": now})
    return apply


def progressed(progress: int) -> Transition:
    def apply(doc: dict[str, Any], now: datetime) -> Change | None:
        if doc["status"] != Status.PROCESSING or progress <= doc.get("progress", 0):
            return None
        return Change({"progress": min(progress, 95)})
    return apply


def completed(images: list[dict[str, Any]]) -> Transition:
    def apply(doc: dict[str, Any], now: datetime) -> Change | None:
        if doc["status"] != Status.PROCESSING:
            return None
        return Change({"status": Status.COMPLETED, "progress": 100, "images": images,
                       "successCount": len(images), "completedAt": now,
                       "callbackReceived": True})
    return apply


def failed(code: str, message: str) -> Transition:
    def apply(doc: dict[str, Any], now: datetime) -> Change | None:
        if doc["status"] in FINAL:
            return None
        events = [_failed_event(doc, code, message)] if doc["creditsCost"] > 0 else []
        return Change({"status": Status.FAILED, "progress": 0, "errorCode": code,
                       "errorMessage": message[:500], "failedAt": now}, events)
    return apply


def visible_to(doc: dict[str, Any], user_id: str | None) -> bool:
    return doc["userId"] == user_id or doc.get("visibility") == "public"


class InvalidParameters(ValidationFailed):
    code = "INVALID_PARAMETERS"
    default_message = "Request parameter validation failed"


class InvalidModel(ValidationFailed):
    code = "INVALID_MODEL"
    default_message = "Unsupported or inactive model"
