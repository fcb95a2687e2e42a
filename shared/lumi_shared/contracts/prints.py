"""Events about slicing and printing (producer: printing)."""

from typing import Any

from .base import Event, TaskEvent


class PrintSubmitted(TaskEvent):
    """printing -> generation, gateway (SSE): a print job was created for the task's model."""

    model_id: str
    print_job_id: str

    def sse(self) -> tuple[str, dict[str, Any]]:
        return "print:submitted", {"modelId": self.model_id, "printJobId": self.print_job_id}


class PrintStatusChanged(TaskEvent):
    """printing -> generation, gateway (SSE): the print job moved to `status` (PrintStatus enum)."""

    model_id: str
    print_job_id: str
    status: str
    progress: int = 0
    version: int = 0
    error_message: str | None = None

    def sse(self) -> tuple[str, dict[str, Any]]:
        return "print:status", {"modelId": self.model_id, "printJobId": self.print_job_id,
                                "status": self.status, "progress": self.progress,
                                "errorMessage": self.error_message}


class SliceStatusChanged(Event):
    """printing -> generation, gallery, gateway (SSE): a model's slicing job moved to `status`
    (PENDING|PROCESSING|COMPLETED|FAILED|CANCELLED); `gcode_url` once COMPLETED."""

    slice_task_id: str
    model_id: str
    user_id: str
    task_id: str | None = None
    status: str
    version: int
    gcode_url: str | None = None
    error_message: str | None = None

    def sse(self) -> tuple[str, dict[str, Any]]:
        return "print:slice", {"modelId": self.model_id, "sliceTaskId": self.slice_task_id,
                               "sliceStatus": self.status, "gcodeUrl": self.gcode_url,
                               "errorMessage": self.error_message}
