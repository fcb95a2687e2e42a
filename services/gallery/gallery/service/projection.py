"""Building the catalogue from modeling's events. Each use case is safe to repeat and to run
out of order: the repository applies a change only when its version beats the stored one."""

from lumi_shared.contracts import (
    ModelDeleted,
    ModelFailed,
    ModelFiles,
    ModelReady,
    ModelUpdated,
    PrintStatusChanged,
    SliceStatusChanged,
)

from ..domain import PRIVATE, PUBLIC, ModelStatus
from ..repository import CatalogueRepository, InteractionRepository


def _visibility(value: str) -> str:
    value = (value or "").upper()
    return value if value in (PUBLIC, PRIVATE) else PRIVATE


def _file_fields(files: ModelFiles) -> dict:
    return {"model_url": files.model_url, "format": files.format, "glb_url": files.glb_url,
            "obj_url": files.obj_url, "mtl_url": files.mtl_url, "texture_url": files.texture_url,
            "stl_url": files.stl_url, "preview_image_url": files.preview_image_url,
            "file_size": files.file_size, "face_count": files.face_count,
            "vertex_count": files.vertex_count}


async def project_model_ready(*, catalogue: CatalogueRepository, event: ModelReady) -> None:
    files = event.files
    await catalogue.apply(event.model_id, "state_version", event.version, {
        "user_id": event.user_id, "task_id": event.task_id, "owner_name": event.owner_name,
        "status": ModelStatus.READY.value, "error_message": None,
        **_file_fields(files),
        "created_at": event.created_at, "completed_at": event.completed_at,
    })
    visibility = _visibility(event.visibility)
    published_at = event.published_at
    if visibility == PUBLIC and published_at is None:
        published_at = event.completed_at
    await catalogue.apply(event.model_id, "meta_version", event.version, {
        "user_id": event.user_id, "name": event.name, "visibility": visibility,
        "published_at": published_at,
    })


async def project_model_failed(*, catalogue: CatalogueRepository, event: ModelFailed) -> None:
    await catalogue.apply(event.model_id, "state_version", event.version, {
        "user_id": event.user_id, "task_id": event.task_id,
        "status": ModelStatus.FAILED.value, "error_message": event.error_message,
    })


async def project_model_updated(*, catalogue: CatalogueRepository, event: ModelUpdated) -> None:
    fields = {"user_id": event.user_id, "name": event.name, "description": event.description,
              "visibility": _visibility(event.visibility), "published_at": event.published_at}
    if event.files is not None:  # moved to new URLs (turned private)
        fields.update(_file_fields(event.files))
    await catalogue.apply(event.model_id, "meta_version", event.version, fields)


async def project_model_deleted(*, catalogue: CatalogueRepository,
                                interactions: InteractionRepository,
                                event: ModelDeleted) -> None:
    await catalogue.tombstone(event.model_id, event.user_id, event.version)
    # Repeated on every delivery: it also removes interactions that raced with the tombstone.
    await interactions.delete_for_model(event.model_id)


def _occurred(event: SliceStatusChanged | PrintStatusChanged) -> int:
    """Slice and print jobs of one model are ordered by when printing emitted the change
    (versions restart with every new job)."""
    return int(event.occurred_at.timestamp() * 1_000_000)


async def project_slice_status(*, catalogue: CatalogueRepository,
                               event: SliceStatusChanged) -> None:
    await catalogue.apply(event.model_id, "slice_version", _occurred(event), {
        "user_id": event.user_id, "slice_task_id": event.slice_task_id,
        "slice_status": event.status, "gcode_url": event.gcode_url})


async def project_print_status(*, catalogue: CatalogueRepository,
                               event: PrintStatusChanged) -> None:
    await catalogue.apply(event.model_id, "print_version", _occurred(event), {
        "user_id": event.user_id, "print_status": event.status})
