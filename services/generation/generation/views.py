"""The public task object: the superset of the fields the web and mobile clients read."""

from typing import Any

from lumi_shared.timeutil import iso

MODEL_FIELDS = ("id", "name", "modelUrl", "mtlUrl", "textureUrl", "previewImageUrl", "format",
                "fileSize", "visibility", "glbUrl", "objUrl", "stlUrl", "errorMessage")
MODEL_TIMES = ("createdAt", "completedAt", "failedAt", "publishedAt")


def image_view(task_id: str, image: dict[str, Any]) -> dict[str, Any]:
    job = image.get("job") or {}
    return {
        "id": image["id"], "requestId": task_id, "index": image["index"],
        "imageUrl": image.get("imageUrl"), "url": image.get("imageUrl"),
        "imagePrompt": image.get("imagePrompt"), "imageStatus": str(image["imageStatus"]),
        "createdAt": iso(image.get("createdAt")), "completedAt": iso(image.get("completedAt")),
        "failedAt": iso(image.get("failedAt")), "errorMessage": image.get("errorMessage"),
        "generationJob": {"status": str(job.get("status", "PENDING")),
                          "retryCount": int(job.get("retryCount", 0))},
    }


def model_view(model: dict[str, Any] | None) -> dict[str, Any] | None:
    if model is None:
        return None
    out: dict[str, Any] = {k: model.get(k) for k in MODEL_FIELDS}
    out.update({k: iso(model.get(k)) for k in MODEL_TIMES})
    job = model.get("generationJob") or {}
    out["generationJob"] = {"status": str(job.get("status", "PENDING")),
                            "progress": int(job.get("progress", 0))}
    return out


def print_view(summary: dict[str, Any] | None) -> dict[str, Any] | None:
    if summary is None:
        return None
    return {"id": summary["id"], "printJobId": summary["printJobId"],
            "modelId": summary.get("modelId"), "status": summary.get("status"),
            "progress": summary.get("progress", 0), "errorMessage": summary.get("errorMessage"),
            "submittedAt": iso(summary.get("submittedAt")),
            "updatedAt": iso(summary.get("updatedAt"))}


def with_printing(model: dict[str, Any] | None, doc: dict[str, Any]) -> dict[str, Any] | None:
    """The model as clients read it after printing started: sliceTaskId, sliceStatus, gcodeUrl,
    printStatus (FY's model fields; None before anything was sliced or printed)."""
    if model is None:
        return None
    sliced = doc.get("slice") or {}
    printed = doc.get("print") or {}
    return {**model, "sliceTaskId": sliced.get("id"), "sliceStatus": sliced.get("status"),
            "gcodeUrl": sliced.get("gcodeUrl"), "printStatus": printed.get("status")}


def task_view(doc: dict[str, Any]) -> dict[str, Any]:
    task_id = doc["_id"]
    return {
        "id": task_id, "userId": doc["userId"], "externalUserId": doc["userId"],
        "prompt": doc["prompt"], "originalPrompt": doc["prompt"],
        "status": str(doc["status"]), "phase": str(doc["phase"]),
        "selectedImageIndex": doc.get("selectedImageIndex"),
        "createdAt": iso(doc["createdAt"]), "updatedAt": iso(doc["updatedAt"]),
        "completedAt": iso(doc.get("completedAt")), "errorMessage": doc.get("errorMessage"),
        "images": [image_view(task_id, img) for img in doc["images"]],
        "model": with_printing(model_view(doc.get("model")), doc),
        "print": print_view(doc.get("print")),
    }
