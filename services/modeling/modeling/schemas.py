"""Response models of the modeling routes: they document what `domain.public_model` and the
use cases build (the routes send those dicts with pydantic-core; the fuzz run checks them)."""

from pydantic import BaseModel, Field

from lumi_shared.contracts.rules import JobStatus, Visibility


class ModelJob(BaseModel):
    status: JobStatus
    progress: int = Field(ge=0, le=100)
    retryCount: int = Field(ge=0)


class Model(BaseModel):
    id: str
    externalUserId: str
    userId: str
    source: str
    requestId: str | None
    sourceImageId: str | None
    name: str
    description: str | None
    modelUrl: str | None
    mtlUrl: str | None
    textureUrl: str | None
    previewImageUrl: str | None
    glbUrl: str | None
    objUrl: str | None
    stlUrl: str | None
    format: str | None
    fileSize: int | None
    faceCount: int | None
    vertexCount: int | None
    visibility: Visibility
    publishedAt: str | None
    viewCount: int
    likeCount: int
    favoriteCount: int
    downloadCount: int
    sliceTaskId: str | None
    printStatus: str | None
    createdAt: str
    updatedAt: str
    completedAt: str | None
    failedAt: str | None
    errorMessage: str | None
    generationJob: ModelJob


class ModelPage(BaseModel):
    items: list[Model]
    total: int = Field(ge=0)
    publicCount: int = Field(ge=0)
    hasMore: bool
