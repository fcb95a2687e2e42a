"""Events about slicing and printing (producer: printing)."""

from .base import TaskEvent


class PrintSubmitted(TaskEvent):
    """printing -> generation, gateway (SSE): a print job was created for the task's model."""

    model_id: str
    print_job_id: str


class PrintStatusChanged(TaskEvent):
    """printing -> generation, gateway (SSE): the print job moved to `status` (PrintStatus enum)."""

    model_id: str
    print_job_id: str
    status: str
    progress: int = 0
    version: int = 0
    error_message: str | None = None
