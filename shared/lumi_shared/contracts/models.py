"""Events about 3D models (producer: modeling). `version` grows with every change of a model,
so consumers can drop stale, out-of-order deliveries."""

from datetime import datetime
from typing import Any

from pydantic import BaseModel

from .base import Event, TaskEvent


class ModelFiles(BaseModel):
    """Public URLs of a finished model's files."""

    model_config = {"frozen": True}

    model_url: str
    format: str
    glb_url: str | None = None
    obj_url: str | None = None
    mtl_url: str | None = None
    texture_url: str | None = None
    stl_url: str | None = None
    preview_image_url: str | None = None
    file_size: int | None = None
    face_count: int | None = None
    vertex_count: int | None = None


class ModelGenerating(TaskEvent):
    """modeling -> generation, gateway (SSE): the 3D job was submitted to the provider."""

    model_id: str
    version: int
    provider_job_id: str | None = None

    def sse(self) -> tuple[str, dict[str, Any]]:
        return "model:generating", {"modelId": self.model_id,
                                    "providerJobId": self.provider_job_id}


class ModelProgressed(TaskEvent):
    """modeling -> generation, gateway (SSE): provider progress, 0-100."""

    model_id: str
    version: int
    progress: int
    status: str

    def sse(self) -> tuple[str, dict[str, Any]]:
        return "model:progress", {"modelId": self.model_id, "progress": self.progress,
                                  "status": self.status}


class ModelReady(TaskEvent):
    """modeling -> generation, gallery, printing, gateway (SSE): the model's files are stored."""

    model_id: str
    version: int
    name: str
    visibility: str
    files: ModelFiles
    created_at: datetime
    completed_at: datetime
    published_at: datetime | None = None
    owner_name: str | None = None

    def sse(self) -> tuple[str, dict[str, Any]]:
        files = self.files
        return "model:completed", {
            "modelId": self.model_id, "modelUrl": files.model_url, "format": files.format,
            "previewImageUrl": files.preview_image_url, "glbUrl": files.glb_url,
            "objUrl": files.obj_url, "mtlUrl": files.mtl_url, "textureUrl": files.texture_url,
            "stlUrl": files.stl_url, "fileSize": files.file_size}


class ModelFailed(TaskEvent):
    """modeling -> generation, gallery, printing, gateway (SSE): the model failed after its retries."""

    model_id: str
    version: int
    error_message: str

    def sse(self) -> tuple[str, dict[str, Any]]:
        return "model:failed", {"modelId": self.model_id, "errorMessage": self.error_message}


class ModelChanged(Event):
    """A change of one model, told to services that know the model rather than the task."""

    __abstract_event__ = True

    model_id: str
    user_id: str
    task_id: str | None = None
    version: int


class ModelUpdated(ModelChanged):
    """modeling -> gallery, printing: name, description or visibility changed (full current values).
    `files` is set when the files moved (a model turned private gets new, unguessable URLs)."""

    name: str
    description: str | None = None
    visibility: str
    published_at: datetime | None = None
    files: ModelFiles | None = None


class ModelDeleted(ModelChanged):
    """modeling -> gallery, printing: the model and its files are gone."""
