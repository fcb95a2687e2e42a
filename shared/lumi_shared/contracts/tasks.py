"""Events about generation tasks and their images (producer: generation)."""

from typing import Any

from .base import TaskEvent
from .rules import RequestPhase as Phase
from .rules import RequestStatus as Status

Frame = tuple[str, dict[str, Any]]


def _task_updated(event: TaskEvent, status: str, phase: str, **extra: Any) -> Frame:
    return "task:updated", {"requestId": event.task_id, "status": status, "phase": phase,
                            **extra}


class TaskCreated(TaskEvent):
    """generation -> generation (image worker), gateway (SSE): a task was stored with four pending images."""

    prompt: str


class ImageGenerating(TaskEvent):
    """generation -> gateway (SSE): one image job started."""

    image_id: str
    index: int

    def sse(self) -> Frame:
        return "image:generating", {"imageId": self.image_id, "index": self.index}


class ImageCompleted(TaskEvent):
    """generation -> gateway (SSE): one image is stored and reachable at `image_url`."""

    image_id: str
    index: int
    image_url: str

    def sse(self) -> Frame:
        return "image:completed", {"imageId": self.image_id, "index": self.index,
                                   "imageUrl": self.image_url}


class ImageFailed(TaskEvent):
    """generation -> gateway (SSE): one image exhausted its retries."""

    image_id: str
    index: int
    error_message: str

    def sse(self) -> Frame:
        return "image:failed", {"imageId": self.image_id, "index": self.index,
                                "errorMessage": self.error_message}


class ImageRetrying(TaskEvent):
    """generation -> gateway (SSE): one image attempt failed and the image is tried again."""

    image_id: str
    index: int
    retry_count: int

    def sse(self) -> Frame:
        return "image:retrying", {"imageId": self.image_id, "index": self.index,
                                  "retryCount": self.retry_count}


class TaskImagesReady(TaskEvent):
    """generation -> gateway (SSE): all four images are done; the task awaits selection."""

    def sse(self) -> Frame:
        return _task_updated(self, Status.IMAGE_COMPLETED, Phase.AWAITING_SELECTION)


class ImageSelected(TaskEvent):
    """generation -> modeling: the user picked an image; `model_id` is the id the model must get."""

    model_id: str
    image_id: str
    index: int
    image_url: str
    prompt: str
    attempt: int = 1
    retry: bool = False

    def sse(self) -> Frame:
        return _task_updated(self, Status.MODEL_PENDING, Phase.MODEL_GENERATION,
                             selectedImageIndex=self.index, modelId=self.model_id)


class TaskFailed(TaskEvent):
    """generation -> auth (refund), modeling, gateway (SSE): the task reached a final failure."""

    error_message: str
    status: str | None = None

    def sse(self) -> Frame:
        status = self.status or Status.FAILED
        phase = (Phase.MODEL_GENERATION if status == Status.MODEL_FAILED
                 else Phase.IMAGE_GENERATION)
        return _task_updated(self, status, phase, errorMessage=self.error_message)


class TaskImagesRetried(TaskEvent):
    """generation -> generation (image worker), gateway (SSE): the owner asked to re-run the failed images."""

    indexes: list[int]

    def sse(self) -> Frame:
        return _task_updated(self, Status.IMAGE_GENERATING, Phase.IMAGE_GENERATION,
                             retriedIndexes=self.indexes)


class TaskStatusChanged(TaskEvent):
    """generation -> gateway (SSE): the task's `status` or `phase` changed (every change, in
    the same write as the change itself)."""

    status: str
    phase: str

    def sse(self) -> Frame:
        return "status", {"phase": self.phase, "status": self.status}


class TaskDeleted(TaskEvent):
    """generation -> modeling, gallery, printing, gateway: the owner deleted the task."""

    model_id: str | None = None

    ends_stream = True

    def sse(self) -> Frame:
        return "task:deleted", {"requestId": self.task_id}

