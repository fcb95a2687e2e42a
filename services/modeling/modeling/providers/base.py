"""What a 3D provider is given and what it hands back."""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Protocol


class ProviderError(Exception):
    """The provider could not produce a model; `retryable` says whether another attempt may."""

    def __init__(self, message: str, *, retryable: bool = True) -> None:
        super().__init__(message)
        self.retryable = retryable


@dataclass(frozen=True)
class ProviderJob:
    model_id: str
    image_url: str
    load_image: Callable[[], Awaitable[bytes]]
    resume_job_id: str | None = None  # a provider job submitted by an interrupted attempt


class JobReporter(Protocol):
    async def submitted(self, provider_job_id: str) -> None: ...
    async def progress(self, progress: int, status: str) -> None: ...


@dataclass
class GeneratedModel:
    """Files by name (model.glb, model.obj, material.mtl, material.<png|jpg>, model.stl,
    preview.png; stored under `models/{modelId}/`) plus mesh figures when known."""

    files: dict[str, bytes] = field(default_factory=dict)
    face_count: int | None = None
    vertex_count: int | None = None
    provider_job_id: str | None = None


class ModelProvider(Protocol):
    name: str

    async def generate(self, job: ProviderJob, reporter: JobReporter) -> GeneratedModel: ...
