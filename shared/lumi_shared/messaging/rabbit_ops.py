"""Operator side of the RabbitMQ bus (lumi_shared.dead_letters): consumer counts, the DLQs of
its own queues read and put back, and replays to the failed consumer's queue alone. It uses a
connection of its own, opened on first use."""

import json
from typing import Any

import aio_pika

from .topology import dead_letter_queue_name

REPLAY_KEY = "x-lumi-routing-key"  # a replayed dead letter goes straight to its queue


def _body(raw: bytes) -> Any:
    try:
        return json.loads(raw)
    except ValueError:
        return raw[:200].decode("utf-8", errors="replace")


def _death(message: aio_pika.abc.AbstractIncomingMessage) -> dict[str, Any]:
    deaths = (message.headers or {}).get("x-death") or [{}]
    first = deaths[-1] if isinstance(deaths, list) and deaths else {}
    keys = first.get("routing-keys") or [message.routing_key or ""]
    when = first.get("time")
    return {"routing_key": str(keys[0]), "reason": str(first.get("reason", "unknown")),
            "parked_at": when.isoformat() if hasattr(when, "isoformat") else None,
            "event_id": message.message_id}


class RabbitOperations:
    url: str
    _ops: Any
    _queues: list[str]

    async def close_operations(self) -> None:
        if self._ops is not None:
            await self._ops.close()
            self._ops = None

    async def _ops_channel(self) -> aio_pika.abc.AbstractChannel:
        if self._ops is None:
            self._ops = await aio_pika.connect_robust(self.url)
        return await self._ops.channel()

    async def consumer_count(self, queue: str) -> int | None:
        channel = await self._ops_channel()
        try:
            declared = await channel.declare_queue(queue, passive=True)
            return declared.declaration_result.consumer_count
        except aio_pika.exceptions.ChannelClosed:
            return None
        finally:
            if not channel.is_closed:
                await channel.close()

    async def dead_letters(self, service: str, sample: int) -> list[dict]:
        """Count of each own DLQ, and up to `sample` messages from its head (read, then put
        back unacknowledged)."""
        out = []
        channel = await self._ops_channel()
        try:
            for name in self._queues:
                dlq = await channel.declare_queue(dead_letter_queue_name(name), passive=True)
                count = dlq.declaration_result.message_count
                taken = []
                for _ in range(min(count, sample)):
                    message = await dlq.get(no_ack=False, fail=False)
                    if message is None:
                        break
                    taken.append(message)
                records = [{**_death(m), "body": _body(m.body)} for m in taken]
                for message in taken:
                    await message.nack(requeue=True)
                out.append({"queue": name, "count": count, "records": records})
        finally:
            await channel.close()
        return out

    async def replay(self, queue: str, limit: int) -> int:
        """Move up to `limit` messages from `queue`'s DLQ back to `queue` alone (default
        exchange, the original routing key in a header), each acknowledged once confirmed."""
        if queue not in self._queues:
            return 0
        channel = await self._ops_channel()
        moved = 0
        try:
            dlq = await channel.declare_queue(dead_letter_queue_name(queue), passive=True)
            while moved < limit:
                message = await dlq.get(no_ack=False, fail=False)
                if message is None:
                    break
                await channel.default_exchange.publish(aio_pika.Message(
                    message.body, message_id=message.message_id, content_type=message.content_type,
                    delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
                    headers={REPLAY_KEY: _death(message)["routing_key"]}), routing_key=queue)
                await message.ack()
                moved += 1
        finally:
            await channel.close()
        return moved
