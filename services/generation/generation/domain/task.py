"""The task aggregate: creation and the owner's commands, as pure functions of the stored document.

Every command is `fn(doc, now) -> Change | None` (`lumi_shared.aggregate`); the repository's
`AggregateStore` applies it with a write guarded by the document's `rev`.
"""

from datetime import datetime
from typing import Any

from lumi_shared.aggregate import Change
from lumi_shared.contracts import ImageSelected, TaskCreated, TaskDeleted, model_name, uuid7
from lumi_shared.contracts.tasks import TaskImagesRetried
from lumi_shared.errors import Conflict, InvalidState, ValidationFailed
from lumi_shared.text import CONTROL_MESSAGE, has_control

from .enums import IMAGE_COUNT, ImageStatus, JobStatus, RequestPhase, RequestStatus

MAX_PROMPT_LENGTH = 500


def clean_prompt(prompt: Any) -> str:
    if not isinstance(prompt, str):
        raise ValidationFailed("prompt must be a string")
    text = prompt.strip()
    if not text:
        raise ValidationFailed("prompt must not be empty")
    if len(text) > MAX_PROMPT_LENGTH:
        raise ValidationFailed(f"prompt must be at most {MAX_PROMPT_LENGTH} characters")
    if has_control(text, multiline=True):
        raise ValidationFailed(f"prompt: {CONTROL_MESSAGE}")
    return text


def new_image(index: int, now: datetime) -> dict[str, Any]:
    return {"id": uuid7(), "index": index, "imageUrl": None, "imagePrompt": None,
            "imageStatus": ImageStatus.PENDING, "createdAt": now, "completedAt": None,
            "failedAt": None, "errorMessage": None,
            "job": {"status": JobStatus.PENDING, "retryCount": 0, "token": None,
                    "leaseUntil": None}}


def new_task(user_id: str, prompt: str, now: datetime) -> tuple[dict[str, Any], TaskCreated]:
    task_id = uuid7()
    doc = {"_id": task_id, "userId": user_id, "prompt": prompt,
           "status": RequestStatus.IMAGE_PENDING, "phase": RequestPhase.IMAGE_GENERATION,
           "selectedImageIndex": None, "createdAt": now, "updatedAt": now, "completedAt": None,
           "errorMessage": None, "images": [new_image(i, now) for i in range(IMAGE_COUNT)],
           "model": None, "print": None, "deletedAt": None, "rev": 0, "outbox": []}
    return doc, TaskCreated(task_id=task_id, user_id=user_id, prompt=prompt)


provisional_model_name = model_name  # the name a task shows before the model is ready


def new_model_summary(model_id: str, prompt: str, preview_url: str | None,
                      now: datetime) -> dict[str, Any]:
    return {"id": model_id, "name": model_name(prompt, now), "modelUrl": None,
            "mtlUrl": None, "textureUrl": None, "previewImageUrl": preview_url, "format": None,
            "fileSize": None, "visibility": None, "glbUrl": None, "objUrl": None,
            "stlUrl": None, "publishedAt": None, "createdAt": now, "completedAt": None,
            "failedAt": None, "errorMessage": None,
            "generationJob": {"status": JobStatus.PENDING, "progress": 0},
            "version": 0, "attempt": 1}


def select_image(index: int):
    def apply(doc: dict[str, Any], now: datetime) -> Change:
        if doc.get("model") is not None:
            raise Conflict("A 3D model was already requested for this task",
                           details={"existingModelId": doc["model"]["id"]})
        if (doc["status"] != RequestStatus.IMAGE_COMPLETED
                or doc["phase"] != RequestPhase.AWAITING_SELECTION):
            raise InvalidState("The task is not awaiting an image selection",
                               details={"currentStatus": doc["status"],
                                        "currentPhase": doc["phase"]})
        image = doc["images"][index]
        if image["imageStatus"] != ImageStatus.COMPLETED or not image.get("imageUrl"):
            raise InvalidState(f"Image {index} is not completed",
                               details={"imageStatus": image["imageStatus"]})
        model = new_model_summary(uuid7(), doc["prompt"], image["imageUrl"], now)
        event = ImageSelected(task_id=doc["_id"], user_id=doc["userId"], model_id=model["id"],
                              image_id=image["id"], index=index, image_url=image["imageUrl"],
                              prompt=doc["prompt"])
        return Change({"status": RequestStatus.MODEL_PENDING,
                       "phase": RequestPhase.MODEL_GENERATION, "selectedImageIndex": index,
                       "model": model, "errorMessage": None}, [event])

    return apply


def retry_images(doc: dict[str, Any], now: datetime) -> Change:
    retryable = doc["phase"] == RequestPhase.IMAGE_GENERATION and doc["status"] in (
        RequestStatus.IMAGE_FAILED, RequestStatus.FAILED)
    indexes = [img["index"] for img in doc["images"]
               if img["imageStatus"] != ImageStatus.COMPLETED]
    if not retryable or not indexes:
        raise InvalidState("No failed images to retry",
                           details={"currentStatus": doc["status"], "currentPhase": doc["phase"]})
    fields: dict[str, Any] = {"status": RequestStatus.IMAGE_GENERATING, "errorMessage": None}
    for i in indexes:
        fresh = new_image(i, now)
        old = doc["images"][i]
        fresh.update(id=old["id"], createdAt=old["createdAt"], imagePrompt=old.get("imagePrompt"))
        fields[f"images.{i}"] = fresh
    event = TaskImagesRetried(task_id=doc["_id"], user_id=doc["userId"], indexes=indexes)
    return Change(fields, [event])


def retry_model(doc: dict[str, Any], now: datetime) -> Change:
    model = doc.get("model")
    if doc["status"] != RequestStatus.MODEL_FAILED or model is None:
        raise InvalidState("No failed model to retry",
                           details={"currentStatus": doc["status"], "currentPhase": doc["phase"]})
    index = doc["selectedImageIndex"]
    image = doc["images"][index]
    attempt = int(model.get("attempt", 1)) + 1
    event = ImageSelected(task_id=doc["_id"], user_id=doc["userId"], model_id=model["id"],
                          image_id=image["id"], index=index, image_url=image["imageUrl"],
                          prompt=doc["prompt"], attempt=attempt, retry=True)
    return Change({"status": RequestStatus.MODEL_PENDING, "phase": RequestPhase.MODEL_GENERATION,
                   "errorMessage": None, "model.attempt": attempt, "model.failedAt": None,
                   "model.errorMessage": None,
                   "model.generationJob": {"status": JobStatus.PENDING, "progress": 0}}, [event])


def mark_deleted(doc: dict[str, Any], now: datetime) -> Change:
    model = doc.get("model")
    event = TaskDeleted(task_id=doc["_id"], user_id=doc["userId"],
                        model_id=model["id"] if model else None)
    return Change({"deletedAt": now}, [event])
