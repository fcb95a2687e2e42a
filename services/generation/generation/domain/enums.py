"""Status enums of the public contract (§2.1) and the sets derived from them. The ones other
services share (task status and phase, job status) are defined once in lumi_shared.contracts."""

from enum import StrEnum

from lumi_shared.contracts.rules import JobStatus, RequestPhase, RequestStatus


class ImageStatus(StrEnum):
    PENDING = "PENDING"
    GENERATING = "GENERATING"
    COMPLETED = "COMPLETED"
    FAILED = "FAILED"


__all__ = ["JobStatus", "RequestPhase", "RequestStatus", "ImageStatus", "IMAGE_COUNT",
           "FAILED_STATUSES", "IMAGE_ACTIVE_STATUSES", "MODEL_ACTIVE_STATUSES"]

IMAGE_COUNT = 4
FAILED_STATUSES = (RequestStatus.IMAGE_FAILED, RequestStatus.MODEL_FAILED, RequestStatus.FAILED)
IMAGE_ACTIVE_STATUSES = (RequestStatus.IMAGE_PENDING, RequestStatus.IMAGE_GENERATING)
MODEL_ACTIVE_STATUSES = (RequestStatus.MODEL_PENDING, RequestStatus.MODEL_GENERATING)
