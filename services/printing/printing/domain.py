"""Print jobs, slice jobs and printers: enums and pure transitions (doc, now) -> Change | None.

A print job walks SLICING -> SLICE_COMPLETE -> PRINTING -> PRINT_COMPLETE, or FAILED from any
active state. Each status or progress change bumps `version` and emits PrintStatusChanged
(outbox), so projections drop stale deliveries. A slice job walks PENDING -> PROCESSING ->
COMPLETED | FAILED | CANCELLED and emits SliceStatusChanged.
"""

import uuid
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from lumi_shared.aggregate import Change
from lumi_shared.contracts import PrintStatusChanged, SliceStatusChanged


class PrintStatus(StrEnum):
    NOT_STARTED = "NOT_STARTED"
    SLICING = "SLICING"
    SLICE_COMPLETE = "SLICE_COMPLETE"
    PRINTING = "PRINTING"
    PRINT_COMPLETE = "PRINT_COMPLETE"
    FAILED = "FAILED"


class SliceStatus(StrEnum):
    PENDING = "PENDING"
    PROCESSING = "PROCESSING"
    COMPLETED = "COMPLETED"
    FAILED = "FAILED"
    CANCELLED = "CANCELLED"


ACTIVE_PRINT = (PrintStatus.SLICING, PrintStatus.SLICE_COMPLETE, PrintStatus.PRINTING)
ACTIVE_SLICE = (SliceStatus.PENDING, SliceStatus.PROCESSING)
# What print-status reports as slicing progress for each print status (FY's intended map).
SLICE_PROGRESS = {PrintStatus.NOT_STARTED: 0, PrintStatus.SLICING: 30,
                  PrintStatus.SLICE_COMPLETE: 100, PrintStatus.PRINTING: 100,
                  PrintStatus.PRINT_COMPLETE: 100, PrintStatus.FAILED: 0}


def new_id(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:20]}"


# ---- print jobs ---------------------------------------------------------------------------

def print_event(doc: dict[str, Any], fields: dict[str, Any]) -> PrintStatusChanged:
    merged = {**doc, **fields}
    return PrintStatusChanged(
        task_id=merged["taskId"] or "", user_id=merged["userId"], model_id=merged["modelId"],
        print_job_id=merged["_id"], status=merged["status"],
        progress=int(merged.get("printProgress", 0)), version=merged["version"],
        error_message=merged.get("errorMessage"))


def _print_change(doc: dict[str, Any], fields: dict[str, Any]) -> Change:
    fields = {**fields, "version": doc["version"] + 1}
    if fields.get("status") in (PrintStatus.PRINT_COMPLETE, PrintStatus.FAILED):
        fields["activeKey"] = f"{doc['taskId'] or doc['printerId']}:{doc['_id']}"
        fields["leaseToken"] = None
    events = [print_event(doc, fields)] if doc.get("taskId") else []
    return Change(fields, events)


def slice_done(slice_doc: dict[str, Any]):
    def apply(doc: dict[str, Any], now: datetime) -> Change | None:
        if doc["status"] != PrintStatus.SLICING:
            return None
        if slice_doc["status"] == SliceStatus.COMPLETED:
            return _print_change(doc, {"status": PrintStatus.SLICE_COMPLETE,
                                       "gcodeUrl": slice_doc["gcodeUrl"]})
        return _print_change(doc, {"status": PrintStatus.FAILED, "failedAt": now,
                                   "errorMessage": slice_doc.get("errorMessage") or "Slicing failed"})
    return apply


def print_started(remote_job_id: str, layer_count: int | None):
    def apply(doc: dict[str, Any], now: datetime) -> Change | None:
        if doc["status"] != PrintStatus.SLICE_COMPLETE:
            return None
        return _print_change(doc, {"status": PrintStatus.PRINTING, "remoteJobId": remote_job_id,
                                   "startedAt": now, "printerSeenAt": now, "printProgress": 0,
                                   "layerCount": layer_count})
    return apply


def print_progressed(progress: int, layer: int | None, remaining: float | None):
    def apply(doc: dict[str, Any], now: datetime) -> Change | None:
        if doc["status"] != PrintStatus.PRINTING:
            return None
        progress_ = max(int(doc.get("printProgress", 0)), min(99, int(progress)))
        fields = {"printerSeenAt": now, "layer": layer, "timeRemaining": remaining}
        if progress_ // 5 == int(doc.get("printProgress", 0)) // 5:
            return Change(fields)  # small steps: no event, just the heartbeat
        return _print_change(doc, {**fields, "printProgress": progress_})
    return apply


def print_finished(doc: dict[str, Any], now: datetime) -> Change | None:
    if doc["status"] != PrintStatus.PRINTING:
        return None
    return _print_change(doc, {"status": PrintStatus.PRINT_COMPLETE, "printProgress": 100,
                               "completedAt": now, "timeRemaining": 0, "printerSeenAt": now,
                               "layer": doc.get("layerCount") or doc.get("layer")})


def print_failed(message: str):
    def apply(doc: dict[str, Any], now: datetime) -> Change | None:
        if doc["status"] not in ACTIVE_PRINT:
            return None
        return _print_change(doc, {"status": PrintStatus.FAILED, "failedAt": now,
                                   "errorMessage": message[:300]})
    return apply


def claim(token: str, lease: float, statuses: tuple[str, ...]):
    def apply(doc: dict[str, Any], now: datetime) -> Change | None:
        if doc["status"] not in statuses:
            return None
        lease_until = doc.get("leaseUntil")
        if doc.get("leaseToken") and lease_until and lease_until > now:
            return None
        return Change({"leaseToken": token, "leaseUntil": now + timedelta(seconds=lease)},
                      inc={"attempts": 1})
    return apply


def renew(token: str, lease: float):
    def apply(doc: dict[str, Any], now: datetime) -> Change | None:
        if doc.get("leaseToken") != token:
            return None
        return Change({"leaseUntil": now + timedelta(seconds=lease)})
    return apply


def release(token: str):
    def apply(doc: dict[str, Any], now: datetime) -> Change | None:
        if doc.get("leaseToken") != token:
            return None
        return Change({"leaseToken": None, "leaseUntil": now}, inc={"attempts": -1})
    return apply


# ---- slice jobs ---------------------------------------------------------------------------

def slice_event(doc: dict[str, Any], fields: dict[str, Any]) -> SliceStatusChanged:
    merged = {**doc, **fields}
    return SliceStatusChanged(
        slice_task_id=merged["_id"], model_id=merged["modelId"], user_id=merged["userId"],
        task_id=merged.get("taskId"), status=merged["status"], version=merged["version"],
        gcode_url=merged.get("gcodeUrl"), error_message=merged.get("errorMessage"))


def _slice_change(doc: dict[str, Any], fields: dict[str, Any]) -> Change:
    fields = {**fields, "version": doc["version"] + 1}
    if fields.get("status") in (SliceStatus.FAILED, SliceStatus.CANCELLED):
        fields["activeKey"] = f"{doc['activeKey']}:{doc['_id']}"
        fields["leaseToken"] = None
    return Change(fields, [slice_event(doc, fields)])


def slice_processing(doc: dict[str, Any], now: datetime) -> Change | None:
    if doc["status"] != SliceStatus.PENDING:
        return None
    return _slice_change(doc, {"status": SliceStatus.PROCESSING, "startedAt": now})


def slice_completed(gcode_key: str, gcode_url: str, meta: dict[str, Any], slicer: str):
    def apply(doc: dict[str, Any], now: datetime) -> Change | None:
        if doc["status"] not in ACTIVE_SLICE:
            return None
        return _slice_change(doc, {"status": SliceStatus.COMPLETED, "gcodeKey": gcode_key,
                                   "gcodeUrl": gcode_url, "gcodeMetadata": meta,
                                   "slicer": slicer, "completedAt": now, "progress": 100,
                                   "leaseToken": None, "errorMessage": None})
    return apply


def slice_failed(message: str, status: str = SliceStatus.FAILED):
    def apply(doc: dict[str, Any], now: datetime) -> Change | None:
        if doc["status"] not in ACTIVE_SLICE:
            return None
        return _slice_change(doc, {"status": status, "errorMessage": message[:300],
                                   "failedAt": now})
    return apply


def slice_removed(doc: dict[str, Any], now: datetime) -> Change | None:
    """The model is gone: an active job is cancelled, a finished one loses its G-code."""
    if doc["status"] in ACTIVE_SLICE:
        return slice_failed("The model was deleted", SliceStatus.CANCELLED)(doc, now)
    if doc.get("gcodeKey") is None:
        return None
    fields = {"gcodeKey": None, "gcodeUrl": None, "activeKey": f"{doc['activeKey']}:{doc['_id']}",
              "deletedAt": now}
    return _slice_change(doc, {**fields, "status": SliceStatus.CANCELLED})
