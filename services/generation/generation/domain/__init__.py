"""Domain of the generation service: the task aggregate, its images and its projections."""

from .enums import (
    FAILED_STATUSES,
    IMAGE_COUNT,
    ImageStatus,
    JobStatus,
    RequestPhase,
    RequestStatus,
)
from .task import Change, clean_prompt

__all__ = ["FAILED_STATUSES", "IMAGE_COUNT", "ImageStatus", "JobStatus", "RequestPhase",
           "RequestStatus", "Change", "clean_prompt"]
