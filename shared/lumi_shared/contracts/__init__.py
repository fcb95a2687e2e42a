"""THE event contracts of Lumi. Import events from here."""

from .base import Event, TaskEvent, event_class, registry, routing_key_for, uuid7
from .generations import GenerationFailed
from .models import (
    ModelDeleted,
    ModelFailed,
    ModelFiles,
    ModelGenerating,
    ModelProgressed,
    ModelReady,
    ModelUpdated,
)
from .prints import PrintStatusChanged, PrintSubmitted, SliceStatusChanged
from .queues import QueueConfigChanged
from .rules import JobStatus, RequestPhase, RequestStatus, Visibility, model_name
from .sessions import SessionRevoked
from .tasks import (
    ImageCompleted,
    ImageFailed,
    ImageGenerating,
    ImageRetrying,
    ImageSelected,
    TaskCreated,
    TaskDeleted,
    TaskFailed,
    TaskImagesReady,
    TaskImagesRetried,
    TaskStatusChanged,
)

__all__ = [
    "Event", "TaskEvent", "event_class", "registry", "routing_key_for", "uuid7",
    "TaskCreated", "ImageGenerating", "ImageCompleted", "ImageFailed", "ImageRetrying", "TaskImagesReady",
    "TaskImagesRetried", "TaskStatusChanged",
    "ImageSelected", "TaskFailed", "TaskDeleted",
    "ModelFiles", "ModelGenerating", "ModelProgressed", "ModelReady", "ModelFailed",
    "ModelUpdated", "ModelDeleted",
    "PrintSubmitted", "PrintStatusChanged", "SliceStatusChanged", "SessionRevoked",
    "QueueConfigChanged",
    "GenerationFailed",
    "JobStatus", "RequestPhase", "RequestStatus", "Visibility", "model_name",
]
