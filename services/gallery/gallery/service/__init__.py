"""Use cases of the gallery (no FastAPI / broker imports)."""

from .catalogue import browse_models, count_download, get_model, user_stats
from .interactions import (
    batch_interactions,
    get_interactions,
    list_user_models,
    reconcile_counter,
    toggle_interaction,
)
from .projection import (
    project_model_deleted,
    project_model_failed,
    project_model_ready,
    project_model_updated,
    project_print_status,
    project_slice_status,
)

__all__ = [
    "browse_models", "count_download", "get_model", "user_stats", "batch_interactions",
    "get_interactions", "list_user_models", "reconcile_counter", "toggle_interaction",
    "project_model_ready", "project_model_failed", "project_model_updated",
    "project_model_deleted", "project_slice_status", "project_print_status",
]
