"""Domain of the modeling service: the model aggregate (`model`) and its pure transitions."""

from .model import (
    ACTIVE,
    FINAL,
    MODEL_ID,
    JobStatus,
    ModelNotCompleted,
    ModelNotFound,
    SortBy,
    Visibility,
    fresh_job,
    is_completed,
    model_name,
    new_model_document,
    public_model,
    tombstone_document,
    utcnow,
)

__all__ = ["ACTIVE", "FINAL", "MODEL_ID", "JobStatus", "ModelNotCompleted", "ModelNotFound",
           "SortBy", "Visibility", "fresh_job", "is_completed", "model_name",
           "new_model_document", "public_model", "tombstone_document", "utcnow"]
