"""Answers of the gateway's operator routes: `/api/workers/status` carries both old shapes
(NX `image`/`model3d`, FY `workers`, api-contract §1.8) and our per-queue figures."""

from typing import Literal

from pydantic import BaseModel, Field

from lumi_shared.ops_api import DeadLettersAnswer, ReplayAnswer
from lumi_shared.queues import QueueStatus

__all__ = ["WorkersAnswer", "DeadLettersAnswer", "ReplayAnswer"]


class NxWorkerConfig(BaseModel):
    maxConcurrency: int
    jobTimeout: int = Field(description="Milliseconds per attempt")
    maxRetries: int
    retryDelayBase: int | None = Field(None, description="Milliseconds")
    retryDelayMax: int | None = Field(None, description="Milliseconds")
    enablePriority: bool = False
    isActive: bool


class NxWorker(BaseModel):
    isRunning: bool
    processingCount: int
    processingJobIds: list[str] = Field(description="Running job ids (admins only; else empty)")
    config: NxWorkerConfig | None


class FyWorkerStats(BaseModel):
    active: int
    waiting: int
    completed: int
    failed: int


class FyWorker(BaseModel):
    name: str
    status: Literal["running", "stopped"]
    queueName: str
    concurrency: int
    stats: FyWorkerStats


class WorkersStatus(BaseModel):
    image: NxWorker
    model3d: NxWorker
    workers: list[FyWorker]
    queues: list[QueueStatus] = Field(description="Every job queue with its live figures")
    unavailable: list[str] = Field(description="Services that did not answer")


class WorkersAnswer(BaseModel):
    status: Literal["success"]
    data: WorkersStatus
