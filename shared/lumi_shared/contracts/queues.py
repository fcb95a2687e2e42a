"""Events about job queues (producers: generation, modeling, printing, each for its own queue)."""

from .base import Event


class QueueConfigChanged(Event):
    """An admin changed a job queue: every replica of the owning service applies it at once.
    `version` grows with each change (a replica keeps the highest it has seen)."""

    queue: str
    concurrency: int
    timeout: float
    retries: int
    active: bool
    version: int
    actor_id: str
