"""Every change of a task's `status` or `phase` is announced (`TaskStatusChanged`, the SSE
`status` frame), in the same write as the change: one wrapper around every transition, so no
transition can forget it."""

from datetime import datetime
from typing import Any

from lumi_shared.aggregate import Change, Transition
from lumi_shared.contracts import TaskStatusChanged


def announcing_status(transition: Transition) -> Transition:
    def apply(doc: dict[str, Any], now: datetime) -> Change | None:
        change = transition(doc, now)
        if change is None:
            return None
        status = change.set.get("status", doc.get("status"))
        phase = change.set.get("phase", doc.get("phase"))
        if (status, phase) != (doc.get("status"), doc.get("phase")):
            change.events = [*change.events, TaskStatusChanged(
                task_id=doc["_id"], user_id=doc["userId"], status=status, phase=phase)]
        return change

    return apply
