"""Event envelope, routing keys derived from class names, and the registry of every event."""

import os
import re
import threading
import time
import uuid
from datetime import UTC, datetime
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field

_REGISTRY: dict[str, type["Event"]] = {}
_WORD = re.compile(r"[A-Z][a-z0-9]*")


_last_stamp = [0, 0]  # (milliseconds, 12-bit counter) of the last id this process made
_stamp_lock = threading.Lock()


def uuid7() -> str:
    """Time-ordered UUIDv7 (RFC 9562): sortable ids without a central counter. Within one
    process they strictly increase (RFC 9562 method 1: a 12-bit counter in `rand_a`, started at
    a random value below 2048 each millisecond), so documents created in the same millisecond
    still sort in creation order by id."""
    with _stamp_lock:
        ms = time.time_ns() // 1_000_000
        if ms > _last_stamp[0]:
            _last_stamp[:] = [ms, int.from_bytes(os.urandom(2), "big") & 0x7FF]
        elif _last_stamp[1] < 0xFFF:
            _last_stamp[1] += 1
        else:  # 4096 ids in one millisecond: borrow the next one
            _last_stamp[:] = [_last_stamp[0] + 1, 0]
        ms, counter = _last_stamp
    rand = int.from_bytes(os.urandom(8), "big") & ((1 << 62) - 1)
    value = (ms & ((1 << 48) - 1)) << 80 | 0x7 << 76 | counter << 64 | 0b10 << 62 | rand
    return str(uuid.UUID(int=value))


def utcnow() -> datetime:
    return datetime.now(UTC)


def routing_key_for(class_name: str) -> str:
    """`TaskImagesReady` -> `task.images_ready`: the first word is the aggregate."""
    words = [w.lower() for w in _WORD.findall(class_name)]
    if len(words) < 2:
        raise ValueError(f"event name {class_name!r} needs an aggregate and a verb")
    return f"{words[0]}.{'_'.join(words[1:])}"


class Event(BaseModel):
    """Envelope shared by every event; subclasses add a flat payload."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    routing_key: ClassVar[str] = ""
    ends_stream: ClassVar[bool] = False  # the task's SSE stream closes after this frame

    event_id: str = Field(default_factory=uuid7)
    occurred_at: datetime = Field(default_factory=utcnow)
    schema_version: int = 1
    traceparent: str | None = None

    def sse(self) -> tuple[str, dict[str, Any]] | None:
        """How the gateway shows this event on `GET /api/tasks/{id}/events` (the old API's
        event name and payload); None when it is not shown."""
        return None

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if cls.__dict__.get("__abstract_event__"):
            return
        cls.routing_key = routing_key_for(cls.__name__)
        if cls.routing_key in _REGISTRY:
            raise TypeError(f"duplicate event routing key {cls.routing_key}")
        _REGISTRY[cls.routing_key] = cls


class TaskEvent(Event):
    """An event about one generation task, correlated by `task_id`."""

    __abstract_event__ = True

    task_id: str
    user_id: str


def registry() -> dict[str, type[Event]]:
    return dict(_REGISTRY)


def event_class(routing_key: str) -> type[Event] | None:
    return _REGISTRY.get(routing_key)
