"""Image jobs of a task: claim, retry, complete, fail, and the task status they settle into.

A worker claims an image with a fresh token and a lease; later writes for that image only
apply while the token still matches, so a redelivered TaskCreated or a retry can never have
two workers overwrite each other's results.
"""

import copy
from datetime import datetime, timedelta
from typing import Any

from lumi_shared.aggregate import Change
from lumi_shared.contracts import (
    ImageCompleted,
    ImageFailed,
    ImageGenerating,
    ImageRetrying,
    TaskFailed,
    TaskImagesReady,
)
from lumi_shared.contracts.tasks import TaskImagesRetried

from .enums import IMAGE_ACTIVE_STATUSES, ImageStatus, JobStatus, RequestPhase, RequestStatus

TIMED_OUT = "Image generation timed out"
STALLED = "Image generation did not finish in time"


def _in_image_phase(doc: dict[str, Any]) -> bool:
    return doc["phase"] == RequestPhase.IMAGE_GENERATION and doc.get("deletedAt") is None


def _owned(doc: dict[str, Any], index: int, token: str) -> dict[str, Any] | None:
    image = doc["images"][index]
    if (_in_image_phase(doc) and image["imageStatus"] == ImageStatus.GENERATING
            and image["job"].get("token") == token):
        return copy.deepcopy(image)
    return None


def claimable(image: dict[str, Any], now: datetime) -> bool:
    if image["imageStatus"] == ImageStatus.PENDING:
        return True
    lease = image["job"].get("leaseUntil")
    return image["imageStatus"] == ImageStatus.GENERATING and lease is not None and lease < now


def set_prompts(prompts: dict[int, str]):
    def apply(doc: dict[str, Any], now: datetime) -> Change | None:
        fields = {f"images.{i}.imagePrompt": p for i, p in prompts.items()
                  if doc["images"][i]["imagePrompt"] is None}
        return Change(fields) if fields and _in_image_phase(doc) else None

    return apply


def claim(index: int, token: str, lease: timedelta):
    def apply(doc: dict[str, Any], now: datetime) -> Change | None:
        image = doc["images"][index]
        if not _in_image_phase(doc) or not claimable(image, now):
            return None
        job = {**image["job"], "status": JobStatus.RUNNING, "token": token,
               "leaseUntil": now + lease}
        fields: dict[str, Any] = {
            f"images.{index}.imageStatus": ImageStatus.GENERATING,
            f"images.{index}.job": job, f"images.{index}.errorMessage": None,
            f"images.{index}.failedAt": None}
        if doc["status"] != RequestStatus.IMAGE_GENERATING:
            fields["status"] = RequestStatus.IMAGE_GENERATING
        event = ImageGenerating(task_id=doc["_id"], user_id=doc["userId"], image_id=image["id"],
                                index=index)
        return Change(fields, [event])

    return apply


def renew(index: int, token: str, lease: timedelta):
    """The worker still runs this image: push its lease forward (a dead worker stops doing so)."""
    def apply(doc: dict[str, Any], now: datetime) -> Change | None:
        image = _owned(doc, index, token)
        if image is None:
            return None
        return Change({f"images.{index}.job.leaseUntil": now + lease})

    return apply


def _pending(image: dict[str, Any]) -> dict[str, Any]:
    image.update(imageStatus=ImageStatus.PENDING, errorMessage=None, failedAt=None)
    image["job"].update(status=JobStatus.PENDING, token=None, leaseUntil=None)
    return image


def release(index: int, token: str):
    """The worker was cancelled (broker connection lost, shutdown): give the image back, so
    the redelivered message claims it at once instead of waiting for the lease to run out."""
    def apply(doc: dict[str, Any], now: datetime) -> Change | None:
        image = _owned(doc, index, token)
        if image is None:
            return None
        return Change({f"images.{index}": _pending(image)})

    return apply


def retrying(index: int, token: str, retry_count: int, lease: timedelta):
    def apply(doc: dict[str, Any], now: datetime) -> Change | None:
        image = _owned(doc, index, token)
        if image is None:
            return None
        job = {**image["job"], "status": JobStatus.RETRYING, "retryCount": retry_count,
               "leaseUntil": now + lease}
        event = ImageRetrying(task_id=doc["_id"], user_id=doc["userId"], image_id=image["id"],
                              index=index, retry_count=retry_count)
        return Change({f"images.{index}.job": job}, [event])

    return apply


def settle(doc: dict[str, Any], images: list[dict[str, Any]], change: Change) -> Change:
    """Once no image is pending or running: all completed -> awaiting selection; else failed."""
    statuses = [img["imageStatus"] for img in images]
    if any(s in (ImageStatus.PENDING, ImageStatus.GENERATING) for s in statuses):
        return change
    if all(s == ImageStatus.COMPLETED for s in statuses):
        change.set.update(status=RequestStatus.IMAGE_COMPLETED,
                          phase=RequestPhase.AWAITING_SELECTION, errorMessage=None)
        change.events.append(TaskImagesReady(task_id=doc["_id"], user_id=doc["userId"]))
        return change
    failed = [img for img in images if img["imageStatus"] == ImageStatus.FAILED]
    message = f"{len(failed)} of {len(images)} images failed: {failed[0]['errorMessage']}"
    change.set.update(status=RequestStatus.IMAGE_FAILED, errorMessage=message)
    change.events.append(TaskFailed(task_id=doc["_id"], user_id=doc["userId"],
                                    error_message=message, status=RequestStatus.IMAGE_FAILED))
    return change


def _finish(doc: dict[str, Any], index: int, image: dict[str, Any], event) -> Change:
    images = [image if i == index else img for i, img in enumerate(doc["images"])]
    return settle(doc, images, Change({f"images.{index}": image}, [event]))


def complete(index: int, token: str, url: str):
    def apply(doc: dict[str, Any], now: datetime) -> Change | None:
        image = _owned(doc, index, token)
        if image is None:
            return None
        image.update(imageStatus=ImageStatus.COMPLETED, imageUrl=url, completedAt=now,
                     failedAt=None, errorMessage=None)
        image["job"].update(status=JobStatus.COMPLETED, token=None, leaseUntil=None)
        event = ImageCompleted(task_id=doc["_id"], user_id=doc["userId"], image_id=image["id"],
                               index=index, image_url=url)
        return _finish(doc, index, image, event)

    return apply


def _failed(doc: dict[str, Any], image: dict[str, Any], message: str, now: datetime,
            job_status: JobStatus = JobStatus.FAILED) -> tuple[dict[str, Any], ImageFailed]:
    image.update(imageStatus=ImageStatus.FAILED, failedAt=now, errorMessage=message)
    image["job"].update(status=job_status, token=None, leaseUntil=None)
    return image, ImageFailed(task_id=doc["_id"], user_id=doc["userId"], image_id=image["id"],
                              index=image["index"], error_message=message)


def fail(index: int, token: str, message: str):
    def apply(doc: dict[str, Any], now: datetime) -> Change | None:
        image = _owned(doc, index, token)
        if image is None:
            return None
        image, event = _failed(doc, image, message, now)
        return _finish(doc, index, image, event)

    return apply


def expire_images(stall_cutoff: datetime, max_recoveries: int = 0):
    """Sweeper: an image whose lease ran out (its worker died) or a task whose images never
    progressed (not updated since `stall_cutoff`) is first given
    back to the worker (`TaskImagesRetried`), up to `max_recoveries` times per task; only
    then are the images failed."""
    def apply(doc: dict[str, Any], now: datetime) -> Change | None:
        if not _in_image_phase(doc) or doc["status"] not in IMAGE_ACTIVE_STATUSES:
            return None
        images = copy.deepcopy(doc["images"])
        if all(img["imageStatus"] == ImageStatus.COMPLETED for img in images):
            return settle(doc, images, Change())
        expired = [img for img in images if img["imageStatus"] == ImageStatus.GENERATING
                   and img["job"].get("leaseUntil") and img["job"]["leaseUntil"] < now]
        running = any(img["imageStatus"] == ImageStatus.GENERATING for img in images)
        stalled = not expired and not running and doc["updatedAt"] < stall_cutoff
        if not expired and not stalled:
            return None
        if doc.get("recoveries", 0) < max_recoveries:
            return _recover(doc, images, expired)
        if stalled:
            return _stall(doc, images, now)
        change = Change()
        for image in expired:
            _, event = _failed(doc, image, TIMED_OUT, now, JobStatus.TIMEOUT)
            change.set[f"images.{image['index']}"] = image
            change.events.append(event)
        return settle(doc, images, change)

    return apply


def _recover(doc: dict[str, Any], images: list[dict[str, Any]],
             expired: list[dict[str, Any]]) -> Change:
    change = Change({f"images.{img['index']}": _pending(img) for img in expired},
                    inc={"recoveries": 1})
    todo = [img["index"] for img in images if img["imageStatus"] == ImageStatus.PENDING]
    change.events.append(TaskImagesRetried(task_id=doc["_id"], user_id=doc["userId"],
                                           indexes=todo))
    return change


def _stall(doc: dict[str, Any], images: list[dict[str, Any]], now: datetime) -> Change:
    change = Change()
    for image in images:
        if image["imageStatus"] != ImageStatus.COMPLETED:
            _, event = _failed(doc, image, STALLED, now, JobStatus.TIMEOUT)
            change.set[f"images.{image['index']}"] = image
            change.events.append(event)
    change.set.update(status=RequestStatus.FAILED, errorMessage=STALLED)
    change.events.append(TaskFailed(task_id=doc["_id"], user_id=doc["userId"],
                                    error_message=STALLED, status=RequestStatus.FAILED))
    return change
