"""Dead letters of a service's event queues, for operators: the DLQs of
`lumi_shared.messaging.topology` on RabbitMQ, the parked events of the in-process broker.
Replaying hands them back to the consumer that failed (idempotent, so a replay is safe)."""

from collections import Counter
from typing import Any

from pydantic import BaseModel, Field

from .errors import NotFound

SAMPLE = 5
MAX_REPLAY = 100


class DeadLetter(BaseModel):
    eventId: str | None = None
    routingKey: str
    reason: str
    parkedAt: str | None = Field(None, description="When it was dead-lettered (ISO-8601)")
    body: Any = None


class DeadLetterQueue(BaseModel):
    queue: str = Field(description="The consumer's queue, `<service>.<routing key>`")
    service: str
    count: int
    oldest: str | None = None
    reasons: dict[str, int] = Field(description="Reasons among the messages read")
    sample: list[DeadLetter]


class Replayed(BaseModel):
    queue: str
    replayed: int


def _event_id(record: dict[str, Any]) -> str | None:
    body = record.get("body")
    return record.get("event_id") or (body.get("event_id") if isinstance(body, dict) else None)


def _summary(service: str, raw: dict[str, Any], sample: int) -> DeadLetterQueue:
    records = raw["records"]
    times = [r["parked_at"] for r in records if r.get("parked_at")]
    return DeadLetterQueue(
        queue=raw["queue"], service=service, count=raw.get("count", len(records)),
        oldest=min(times) if times else None,
        reasons=dict(Counter(str(r["reason"])[:160] for r in records)),
        sample=[DeadLetter(eventId=_event_id(r), routingKey=r["routing_key"], reason=str(r["reason"])[:300],
                           parkedAt=r.get("parked_at"), body=r.get("body"))
                for r in records[:sample]])


async def list_dead_letters(bus: Any, service: str, sample: int = SAMPLE) -> list[DeadLetterQueue]:
    if not hasattr(bus, "dead_letters"):
        return []
    return [_summary(service, raw, sample) for raw in await bus.dead_letters(service, sample)
            if raw.get("count", len(raw["records"]))]


async def replay_dead_letters(bus: Any, service: str, queue: str, limit: int) -> Replayed:
    if not queue.startswith(f"{service}.") or not hasattr(bus, "replay"):
        raise NotFound(f"No dead-letter queue {queue} in {service}")
    return Replayed(queue=queue, replayed=await bus.replay(queue, min(limit, MAX_REPLAY)))
