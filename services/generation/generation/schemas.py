"""Response models of the task endpoints: they document what `views` builds (the routes send
the views with pydantic-core; the fuzz run checks the two agree)."""

from pydantic import BaseModel, Field

from lumi_shared.contracts.rules import JobStatus, RequestPhase, RequestStatus, Visibility

from .domain.enums import ImageStatus

Time = str | None


class ImageJob(BaseModel):
    status: JobStatus
    retryCount: int = Field(ge=0)


class TaskImage(BaseModel):
    id: str
    requestId: str
    index: int = Field(ge=0, le=3)
    imageUrl: str | None
    url: str | None = Field(description="Same as imageUrl (older clients)")
    imagePrompt: str | None
    imageStatus: ImageStatus
    createdAt: Time
    completedAt: Time
    failedAt: Time
    errorMessage: str | None
    generationJob: ImageJob


class ModelJob(BaseModel):
    status: JobStatus
    progress: int = Field(ge=0, le=100)


class TaskModel(BaseModel):
    id: str | None
    name: str | None
    modelUrl: str | None = Field(description="Primary display file (OBJ)")
    mtlUrl: str | None
    textureUrl: str | None
    previewImageUrl: str | None
    format: str | None
    fileSize: int | None
    visibility: Visibility | None
    glbUrl: str | None
    objUrl: str | None
    stlUrl: str | None
    errorMessage: str | None
    createdAt: Time
    completedAt: Time
    failedAt: Time
    publishedAt: Time
    generationJob: ModelJob


class TaskModelPrinting(TaskModel):
    sliceTaskId: str | None
    sliceStatus: str | None
    gcodeUrl: str | None
    printStatus: str | None


class TaskPrint(BaseModel):
    id: str
    printJobId: str
    modelId: str | None
    status: str | None
    progress: int | float
    errorMessage: str | None
    submittedAt: Time
    updatedAt: Time


class Task(BaseModel):
    id: str
    userId: str
    externalUserId: str = Field(description="Same as userId (older clients)")
    prompt: str
    originalPrompt: str
    status: RequestStatus
    phase: RequestPhase
    selectedImageIndex: int | None
    createdAt: str
    updatedAt: str
    completedAt: Time
    errorMessage: str | None
    images: list[TaskImage]
    model: TaskModelPrinting | None
    print: TaskPrint | None


class TaskPage(BaseModel):
    items: list[Task]
    total: int = Field(ge=0)
    hasMore: bool
    limit: int
    offset: int
    page: int | None = Field(None, description="Only with page/pageSize paging")
    pageSize: int | None = Field(None, description="Only with page/pageSize paging")


class Selection(BaseModel):
    model: TaskModel | None
    selectedImageIndex: int
    task: Task


class Deleted(BaseModel):
    id: str
    deleted: bool
