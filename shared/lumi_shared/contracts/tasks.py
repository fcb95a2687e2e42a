"""Events about generation tasks and their images (producer: generation)."""

from .base import TaskEvent


class TaskCreated(TaskEvent):
    """generation -> generation (image worker), gateway (SSE): a task was stored with four pending images."""

    prompt: str


class ImageGenerating(TaskEvent):
    """generation -> gateway (SSE): one image job started."""

    image_id: str
    index: int


class ImageCompleted(TaskEvent):
    """generation -> gateway (SSE): one image is stored and reachable at `image_url`."""

    image_id: str
    index: int
    image_url: str


class ImageFailed(TaskEvent):
    """generation -> gateway (SSE): one image exhausted its retries."""

    image_id: str
    index: int
    error_message: str


class TaskImagesReady(TaskEvent):
    """generation -> gateway (SSE): all four images are done; the task awaits selection."""


class ImageSelected(TaskEvent):
    """generation -> modeling: the user picked an image; `model_id` is the id the model must get."""

    model_id: str
    image_id: str
    index: int
    image_url: str
    prompt: str
    attempt: int = 1
    retry: bool = False


class TaskFailed(TaskEvent):
    """generation -> auth (refund), modeling, gateway (SSE): the task reached a final failure."""

    error_message: str
    status: str | None = None


class TaskImagesRetried(TaskEvent):
    """generation -> generation (image worker), gateway (SSE): the owner asked to re-run the failed images."""

    indexes: list[int]


class TaskDeleted(TaskEvent):
    """generation -> modeling, gallery, printing, gateway: the owner deleted the task."""

    model_id: str | None = None
