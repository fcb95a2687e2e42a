"""Models and model jobs: states, names, the stored document and its public (camelCase) shape."""

import re
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from lumi_shared.contracts import JobStatus, Visibility, model_name
from lumi_shared.errors import InvalidState, NotFound
from lumi_shared.timeutil import iso

from ..files import new_file_key

MODEL_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


ACTIVE = (JobStatus.PENDING, JobStatus.RUNNING, JobStatus.RETRYING)
FINAL = (JobStatus.COMPLETED, JobStatus.FAILED)


class SortBy(StrEnum):
    LATEST = "latest"
    NAME = "name"
    POPULAR = "popular"


class ModelNotFound(NotFound):
    default_message = "Model not found"


class ModelNotCompleted(InvalidState):
    default_message = "Only a completed model can be made public"


def fresh_job(now: datetime, deadline: float) -> dict[str, Any]:
    return {"status": JobStatus.PENDING.value, "progress": 0, "attempts": 0,
            "next_run_at": now, "lease_token": None, "lease_until": None,
            "provider_job_id": None, "started_at": None, "error_message": None,
            "deadline_at": now + timedelta(seconds=deadline)}


def new_model_document(*, model_id: str, user_id: str, task_id: str, image_id: str,
                       image_url: str, prompt: str, visibility: Visibility, now: datetime,
                       deadline: float, default_format: str) -> dict[str, Any]:
    public = visibility == Visibility.PUBLIC
    return {
        "_id": model_id, "user_id": user_id, "task_id": task_id, "source": "AI_GENERATED",
        "source_image_id": image_id, "source_image_url": image_url, "prompt": prompt,
        "name": model_name(prompt, now), "description": None,
        "visibility": visibility.value, "published_at": now if public else None,
        "file_key": new_file_key(), "model_url": None, "format": default_format,
        "glb_url": None, "obj_url": None, "mtl_url": None,
        "texture_url": None, "stl_url": None, "preview_image_url": image_url,
        "file_size": None, "face_count": None, "vertex_count": None,
        "created_at": now, "updated_at": now, "completed_at": None, "failed_at": None,
        "error_message": None, "job": fresh_job(now, deadline),
        "version": 1, "deleted_at": None, "outbox": [],
    }


def tombstone_document(*, model_id: str, user_id: str, task_id: str, now: datetime,
                       ttl: float) -> dict[str, Any]:
    """Placeholder for a task deleted before its model existed: the unique task index then
    turns a late ImageSelected into a no-op."""
    return {"_id": model_id, "user_id": user_id, "task_id": task_id, "version": 1,
            "deleted_at": now, "files_deleted": True,
            "purge_at": now + timedelta(seconds=ttl), "outbox": []}


def is_completed(doc: dict[str, Any]) -> bool:
    return doc["job"]["status"] == JobStatus.COMPLETED and bool(doc.get("model_url"))



def public_model(doc: dict[str, Any]) -> dict[str, Any]:
    """The wire shape: a superset of the old ModelEntity (counters live in the gallery)."""
    job = doc["job"]
    return {
        "id": doc["_id"], "externalUserId": doc["user_id"], "userId": doc["user_id"],
        "source": doc["source"], "requestId": doc["task_id"],
        "sourceImageId": doc.get("source_image_id"), "name": doc["name"],
        "description": doc.get("description"), "modelUrl": doc.get("model_url"),
        "mtlUrl": doc.get("mtl_url"), "textureUrl": doc.get("texture_url"),
        "previewImageUrl": doc.get("preview_image_url"), "glbUrl": doc.get("glb_url"),
        "objUrl": doc.get("obj_url"), "stlUrl": doc.get("stl_url"),
        "format": doc.get("format"), "fileSize": doc.get("file_size"),
        "faceCount": doc.get("face_count"), "vertexCount": doc.get("vertex_count"),
        "visibility": doc["visibility"], "publishedAt": iso(doc.get("published_at")),
        "viewCount": 0, "likeCount": 0, "favoriteCount": 0, "downloadCount": 0,
        "sliceTaskId": None, "printStatus": None,
        "createdAt": iso(doc["created_at"]), "updatedAt": iso(doc["updated_at"]),
        "completedAt": iso(doc.get("completed_at")), "failedAt": iso(doc.get("failed_at")),
        "errorMessage": doc.get("error_message"),
        "generationJob": {"status": job["status"], "progress": int(job.get("progress") or 0),
                          "retryCount": max(int(job.get("attempts") or 0) - 1, 0)},
    }
