"""Response shapes of the studio endpoints (field names of the original API, JSend outside)."""

from typing import Any

from lumi_shared.timeutil import iso

from .domain import FINAL, MESSAGES, Status


def _images(doc: dict[str, Any]) -> list[dict[str, Any]]:
    return [{"id": img["index"] + 1, "uuid": img["uuid"], "image_uuid": img["uuid"],
             "image_url": img["url"], "thumbnail_url": img["url"],
             "thumbnail_mobile": img["url"], "thumbnail_desktop": img["url"],
             "generation_uuid": doc["_id"], "created_at": iso(doc.get("completedAt"))}
            for img in doc.get("images", [])]


def create_answer(doc: dict[str, Any]) -> dict[str, Any]:
    status = Status(doc["status"])
    return {"generation_uuid": doc["_id"],
            "status": Status.PROCESSING.value if status == Status.PENDING else status.value,
            "remote_task_id": doc.get("remoteTaskId"), "estimated_time": doc["estimatedTime"],
            "credits_cost": doc["creditsCost"], "message": "Generation task submitted"}


def status_view(doc: dict[str, Any]) -> dict[str, Any]:
    status = Status(doc["status"])
    view = {"uuid": doc["_id"], "generation_uuid": doc["_id"], "status": status.value,
            "progress": doc.get("progress", 0), "error_message": doc.get("errorMessage"),
            "error_code": doc.get("errorCode"), "created_at": iso(doc["createdAt"]),
            "updated_at": iso(doc.get("updatedAt")), "batch_size": doc["counts"],
            "counts": doc["counts"], "credits_used": doc["creditsCost"],
            "credits_cost": doc["creditsCost"], "message": MESSAGES[status],
            "remote_task_id": doc.get("remoteTaskId"), "type": doc["type"],
            "gen_type": doc["genType"], "sub_type": doc["genType"],
            "template_id": doc.get("templateId"), "model_id": doc["modelId"],
            "visibility_level": doc["visibility"]}
    if status in FINAL:
        view["results"] = _images(doc)
    return view


def history_record(doc: dict[str, Any]) -> dict[str, Any]:
    return {"uuid": doc["_id"], "created_at": iso(doc["createdAt"]),
            "updated_at": iso(doc.get("updatedAt")), "remote_task_id": doc.get("remoteTaskId"),
            "model_id": doc["modelId"], "prompt": doc["prompt"], "user_prompt": doc["userPrompt"],
            "status": doc["status"], "progress": doc.get("progress", 0), "counts": doc["counts"],
            "credits_cost": doc["creditsCost"], "type": doc["type"], "gen_type": doc["genType"],
            "template_id": doc.get("templateId"), "visibility_level": doc["visibility"],
            "error_code": doc.get("errorCode"), "error_message": doc.get("errorMessage"),
            "images": [{k: i[k] for k in ("uuid", "image_url", "thumbnail_mobile",
                                          "thumbnail_desktop")} for i in _images(doc)]}
