"""Enums and rules more than one service (and the event contracts) share: defined once here.

The values are the public contract's (spec §2.1); services import them, never copy them.
"""

import unicodedata
from datetime import datetime
from enum import StrEnum

MODEL_NAME_WIDTH = 30  # display units; CJK characters count 2, `...` included when cut


class RequestStatus(StrEnum):
    IMAGE_PENDING = "IMAGE_PENDING"
    IMAGE_GENERATING = "IMAGE_GENERATING"
    IMAGE_COMPLETED = "IMAGE_COMPLETED"
    IMAGE_FAILED = "IMAGE_FAILED"
    MODEL_PENDING = "MODEL_PENDING"
    MODEL_GENERATING = "MODEL_GENERATING"
    MODEL_COMPLETED = "MODEL_COMPLETED"
    MODEL_FAILED = "MODEL_FAILED"
    COMPLETED = "COMPLETED"
    FAILED = "FAILED"
    CANCELLED = "CANCELLED"


class RequestPhase(StrEnum):
    IMAGE_GENERATION = "IMAGE_GENERATION"
    AWAITING_SELECTION = "AWAITING_SELECTION"
    MODEL_GENERATION = "MODEL_GENERATION"
    COMPLETED = "COMPLETED"


class JobStatus(StrEnum):
    PENDING = "PENDING"
    RUNNING = "RUNNING"
    RETRYING = "RETRYING"
    COMPLETED = "COMPLETED"
    FAILED = "FAILED"
    CANCELLED = "CANCELLED"
    TIMEOUT = "TIMEOUT"


class Visibility(StrEnum):
    PUBLIC = "PUBLIC"
    PRIVATE = "PRIVATE"


def _width(char: str) -> int:
    return 2 if unicodedata.east_asian_width(char) in ("W", "F") else 1


def model_name(prompt: str, now: datetime | None = None) -> str:
    """A model's name from its prompt: whitespace collapsed, at most MODEL_NAME_WIDTH units with
    `...` when cut; an empty prompt gives "My model" (dated when `now` is given)."""
    text = " ".join(prompt.split())
    if not text:
        return f"My model {now:%Y-%m-%d}" if now else "My model"
    if sum(_width(c) for c in text) <= MODEL_NAME_WIDTH:
        return text
    out, used = [], 0
    for char in text:
        if used + _width(char) > MODEL_NAME_WIDTH - 3:
            break
        out.append(char)
        used += _width(char)
    return "".join(out).rstrip() + "..."
