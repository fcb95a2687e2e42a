"""Events about generation tasks and their images (producer: generation)."""

from typing import Any, ClassVar

from pydantic.alias_generators import to_camel

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


class ImageEvent(TaskEvent):
    """One image of a task; its SSE frame `frame` carries imageId, index and the event's own
    fields in camelCase."""

    __abstract_event__ = True
    frame: ClassVar[str]

    image_id: str
    index: int

    def sse(self) -> Frame:
        own = [name for name in type(self).model_fields if name not in ImageEvent.model_fields]
        return self.frame, {"imageId": self.image_id, "index": self.index,
                            **{to_camel(name): getattr(self, name) for name in own}}


class ImageGenerating(ImageEvent):
    """generation -> gateway (SSE): one image job started."""

    frame = "image:generating"


class ImageCompleted(ImageEvent):
    """generation -> gateway (SSE): one image is stored and reachable at `image_url`."""

    frame = "image:completed"
    image_url: str


class ImageFailed(ImageEvent):
    """generation -> gateway (SSE): one image exhausted its retries."""

    frame = "image:failed"
    error_message: str


class ImageRetrying(ImageEvent):
    """generation -> gateway (SSE): one image attempt failed and the image is tried again."""

    frame = "image:retrying"
    retry_count: int


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

