"""One fault each: `inject` happens mid-batch, `heal` undoes it (a control heals only after
the batch's deadline, or injects a known defect), `expect_dlq` says what must dead-letter."""

import asyncio
import json
import signal
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import aio_pika

from lumi_shared.messaging.topology import EXCHANGE

from .env import Environment

Step = Callable[[Environment, Any], Awaitable[None]]
POISON_KEYS = ("task.created", "image.selected", "model.ready")
POISON_PER_KEY = 2


@dataclass
class Fault:
    name: str
    inject: Step
    heal: Step | None  # None: nothing to heal (the fault is a single injection)
    control: str  # what the negative control does
    control_step: Step | None = None  # replaces inject in the control run, when given


def _kill(service: str) -> Fault:
    async def inject(env: Environment, ctx: Any) -> None:
        env.system.kill(service)

    async def heal(env: Environment, ctx: Any) -> None:
        env.system.start(service)
        await env.system.wait_ready(service, timeout=90)

    return Fault(f"kill-{service}", inject, heal, f"{service} restarted only after the deadline")


async def _broker_stop(env: Environment, ctx: Any) -> None:
    await asyncio.to_thread(env.broker, "stop")


async def _broker_start(env: Environment, ctx: Any) -> None:
    await asyncio.to_thread(env.broker, "start")


async def _broker_kill(env: Environment, ctx: Any) -> None:
    await asyncio.to_thread(env.broker_kill9)


async def _db_kill(env: Environment, ctx: Any) -> None:
    await asyncio.to_thread(env.database_kill9)


async def _db_start(env: Environment, ctx: Any) -> None:
    await asyncio.to_thread(env.database, "start")


async def _pause_modeling(env: Environment, ctx: Any) -> None:
    env.system.procs["modeling"].send_signal(signal.SIGSTOP)


async def _resume_modeling(env: Environment, ctx: Any) -> None:
    env.system.procs["modeling"].send_signal(signal.SIGCONT)


async def _duplicate(env: Environment, ctx: Any) -> None:
    """Capture 5 s of live traffic and deliver every message a second time (same id)."""
    connection = await aio_pika.connect(env.system.rabbit_url)
    async with connection:
        channel = await connection.channel()
        queue = await channel.declare_queue(exclusive=True, auto_delete=True)
        await queue.bind(EXCHANGE, routing_key="#")
        await asyncio.sleep(5)
        # Stop capturing before sending the copies: still bound to "#", the queue would receive
        # every copy it sends and the loop below would never end.
        await queue.unbind(EXCHANGE, routing_key="#")
        exchange = await channel.get_exchange(EXCHANGE)
        copies = 0
        while (message := await queue.get(fail=False, no_ack=True)) is not None:
            await exchange.publish(aio_pika.Message(
                message.body, headers=message.headers, message_id=message.message_id,
                content_type=message.content_type, delivery_mode=2),
                routing_key=message.routing_key)
            copies += 1
        ctx.notes.append(f"{copies} messages delivered twice")


async def _duplicate_broken(env: Environment, ctx: Any) -> None:
    """Control: what a consumer without dedup would do -- a second ModelReady for one task,
    under a new event id and a new model id."""
    await _duplicate(env, ctx)
    ready = next((m for m in ctx.captured if m["type"] == "ModelReady"), None)
    if ready is None:
        await asyncio.sleep(5)
        ready = next((m for m in ctx.captured if m["type"] == "ModelReady"), None)
    if ready is not None:
        forged = {**ready, "event_id": str(uuid.uuid4()), "model_id": str(uuid.uuid4()),
                  "version": ready.get("version", 1) + 1}
        await env.publish_raw(json.dumps(forged).encode(), "model.ready",
                              message_id=forged["event_id"], content_type="application/json")


async def _poison(env: Environment, ctx: Any) -> None:
    for key in POISON_KEYS:
        for _ in range(POISON_PER_KEY):
            await env.publish_raw(b'{"broken": ', key, message_id=str(uuid.uuid4()))


async def _harmless(env: Environment, ctx: Any) -> None:
    """Control: well-formed events about a task nobody has -- nothing dead-letters, so a check
    that expects the poison in the DLQ fails."""
    for key in POISON_KEYS:
        for _ in range(POISON_PER_KEY):
            await env.publish_raw(b"{}", key + ".unbound", message_id=str(uuid.uuid4()))


async def _nothing(env: Environment, ctx: Any) -> None:
    return None


FAULTS: dict[str, Fault] = {f.name: f for f in [
    Fault("baseline", _nothing, None, "watchers that drop the stream and never reconnect"),
    *(_kill(s) for s in ("generation", "modeling", "gateway", "auth", "gallery", "printing")),
    Fault("broker-restart", _broker_stop, _broker_start, "broker started only after the deadline"),
    Fault("broker-kill9", _broker_kill, _broker_start, "broker started only after the deadline"),
    Fault("db-kill9", _db_kill, _db_start, "database started only after the deadline"),
    Fault("hang-modeling", _pause_modeling, _resume_modeling,
          "modeling (SIGSTOPped) resumed only after the deadline"),
    Fault("duplicate-delivery", _duplicate, None,
          "plus one forged ModelReady (new event and model id) for a task",
          control_step=_duplicate_broken),
    Fault("poison", _poison, None, "well-formed unroutable events instead of poison",
          control_step=_harmless),
    Fault("slow-sse", _nothing, None, "10 watchers that drop the stream and never reconnect"),
]}
EXPECTED_POISON = {"poison": len(POISON_KEYS) * POISON_PER_KEY}
