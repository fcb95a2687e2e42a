"""Run the fault suite: `python -m faults [--tasks N] [--only a,b] [--control] [--short]`."""

import argparse
import asyncio
import json
import logging
import os
import signal
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aio_pika
import httpx

from lumi_embedded.harness import login
from lumi_shared.messaging.topology import EXCHANGE

from .env import ROOT, Environment
from .nemesis import EXPECTED_POISON, FAULTS, Fault
from .workload import Workload, missing_from_gallery, sse_lag, stage_times

# CI's short run: a service crash each side of the model, the database and the broker.
SHORT = ("kill-modeling", "kill-generation", "broker-restart", "broker-kill9", "db-kill9")
FAULT_SECONDS = 5.0


@dataclass
class Ctx:
    captured: list[dict[str, Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


async def recorder(env: Environment, ctx: Ctx) -> aio_pika.abc.AbstractRobustConnection:
    connection = await aio_pika.connect_robust(env.system.rabbit_url)
    channel = await connection.channel()
    queue = await channel.declare_queue(exclusive=True, auto_delete=True)
    await queue.bind(EXCHANGE, routing_key="model.ready")

    async def record(message: aio_pika.abc.AbstractIncomingMessage) -> None:
        async with message.process():
            try:
                ctx.captured.append({"type": "ModelReady", **json.loads(message.body)})
            except ValueError:
                pass

    await queue.consume(record)
    return connection


async def duplicated_effects(env: Environment, ctx: Ctx, task_ids: set[str]) -> int:
    client = env.mongo()
    try:
        counts = defaultdict(int)
        async for doc in client["faults_modeling"]["models"].find(
                {"task_id": {"$in": list(task_ids)}}, {"task_id": 1}):
            counts[doc["task_id"]] += 1
    finally:
        await client.close()
    announced: dict[str, set[str]] = defaultdict(set)
    for event in ctx.captured:
        if event.get("task_id") in task_ids:
            announced[event["task_id"]].add(event.get("model_id"))
    return (sum(n - 1 for n in counts.values() if n > 1)
            + sum(len(ids) - 1 for ids in announced.values() if len(ids) > 1))


async def db_operations(env: Environment) -> tuple[Any, int] | None:
    """(server process id, operations it has served since it started: its opcounters)."""
    client = env.mongo()
    try:
        status = await client.admin.command("serverStatus")
        return status.get("pid"), sum(int(n) for n in status.get("opcounters", {}).values())
    except Exception:
        return None
    finally:
        await client.close()


async def run_fault(env: Environment, fault: Fault, users: list[dict[str, str]], tasks: int,
                    bound: float, control: bool) -> dict[str, Any]:
    ctx = Ctx()
    rec = await recorder(env, ctx)
    dlq_before = await asyncio.to_thread(env.dead_lettered)
    ops_before = await db_operations(env)
    started = time.monotonic()
    slow = 10 if fault.name == "slow-sse" and not control else 0
    drop = 10 if fault.name in ("slow-sse", "baseline") and control else 0
    workload = Workload(env.system.public_url, users, tasks, deadline=started + bound,
                        slow_watchers=slow, drop_watchers=drop)
    runner = asyncio.create_task(workload.run())
    loads: list[float] = []
    sampler = asyncio.create_task(sample_load(loads))
    while workload.selected_count() < max(1, tasks // 4) and time.monotonic() - started < 90:
        await asyncio.sleep(0.2)
    injected_at = time.monotonic() - started
    step = fault.control_step if control and fault.control_step else fault.inject
    await step(env, ctx)
    recovery = completed_again = healed = None
    if fault.heal and not control:
        await asyncio.sleep(FAULT_SECONDS)
        await fault.heal(env, ctx)
        healed = time.monotonic()
        workload.progress.clear()
        try:
            await asyncio.wait_for(workload.progress.wait(), bound)
            recovery = time.monotonic() - healed
        except TimeoutError:
            pass
    await runner
    sampler.cancel()
    if healed is not None:  # end to end: the first task completed after the heal
        after = [t.completed_at for t in workload.tasks
                 if t.completed_at is not None and t.completed_at >= healed]
        completed_again = min(after) - healed if after else None
    gallery_missing = await missing_from_gallery(env.system.public_url, workload.tasks)
    if fault.heal and control:
        await fault.heal(env, ctx)
    await asyncio.sleep(2)  # late dead-letters and ModelReady copies
    await rec.close()
    ids = {t.id for t in workload.tasks if t.id}
    done = [t for t in workload.tasks if t.status == "COMPLETED"]
    stuck = [t for t in workload.tasks if t.id and t.status not in ("COMPLETED", "LOST")
             and t.status not in {"IMAGE_FAILED", "MODEL_FAILED", "FAILED", "CANCELLED"}]
    lost = [t for t in workload.tasks if t not in done and t not in stuck]
    dlq = await asyncio.to_thread(env.dead_lettered) - dlq_before
    ops_after = await db_operations(env)
    ops = (ops_after[1] - ops_before[1] if None not in (ops_before, ops_after)
           and ops_after[0] == ops_before[0] else None)  # a restarted server counts from 0
    row = {"fault": fault.name, "control": control, "tasks": tasks, "completed": len(done),
           "lost": len(lost) + gallery_missing, "gallery_missing": gallery_missing,
           "duplicated": await duplicated_effects(env, ctx, ids),
           "stuck": len(stuck), "dead_lettered": dlq,
           "recovery_s": round(recovery, 1) if recovery is not None else None,
           "recovery_completed_s": (round(completed_again, 1)
                                    if completed_again is not None else None),
           "bound_s": bound,
           "db_ops_per_task": round(ops / tasks) if ops is not None and tasks else None,
           "load_avg_1m": {"mean": round(sum(loads) / len(loads), 2) if loads else None,
                           "max": round(max(loads), 2) if loads else None},
           "sse_all_final": all(t.sse_final for t in workload.tasks if t.id),
           "sse_missing": sum(not t.sse_final for t in workload.tasks if t.id),
           "sse_lag_s": sse_lag(workload.tasks),
           "stages_s": stage_times(workload.tasks), "injected_at_s": round(injected_at, 1),
           "wall_s": round(time.monotonic() - started, 1),
           "notes": ctx.notes + [f"lost {t.id}: {t.status} {t.create_error or ''} {t.history}"
                                 for t in lost[:3]]
                              + [f"stuck {t.id}: {t.status} {t.history} selects {t.selects}"
                                 for t in stuck[:3]]}
    expected_dlq = EXPECTED_POISON.get(fault.name, 0)
    row["passed"] = (row["lost"] == 0 and row["duplicated"] == 0 and row["stuck"] == 0
                     and row["sse_all_final"]
                     and (dlq >= expected_dlq if expected_dlq else dlq == 0))
    return row


async def sample_load(into: list[float], every: float = 5.0) -> None:
    """The host's 1-minute load average during a run (the suite's figures depend on it)."""
    while True:
        into.append(os.getloadavg()[0])
        await asyncio.sleep(every)


def _s(value: float | None) -> str:
    return "-" if value is None else str(value)


def table(rows: list[dict[str, Any]]) -> str:
    head = ("| fault | run | tasks | completed | lost | duplicated | stuck | dead-lettered | "
            "recovery s (progress / completion) | SSE saw final | bound s | wall s | "
            "load 1m mean/max | check |\n|" + "---|" * 14)
    lines = [head]
    for r in rows:
        run = "control" if r["control"] else "fault"
        sse = "all" if r["sse_all_final"] else f"{r['sse_missing']} missed"
        verdict = ("pass" if r["passed"] else "FAIL") if not r["control"] else (
            "control failed the check (good)" if not r["passed"] else "CONTROL NOT DETECTED")
        recovery = "-" if r["recovery_s"] is None and r.get("recovery_completed_s") is None \
            else f"{_s(r['recovery_s'])} / {_s(r.get('recovery_completed_s'))}"
        load = r.get("load_avg_1m") or {}
        lines.append(f"| {r['fault']} | {run} | {r['tasks']} | {r['completed']} | {r['lost']} | "
                     f"{r['duplicated']} | {r['stuck']} | {r['dead_lettered']} | {recovery} | "
                     f"{sse} | {_s(r.get('bound_s'))} | {_s(r.get('wall_s'))} | "
                     f"{_s(load.get('mean'))}/{_s(load.get('max'))} | {verdict} |")
    return "\n".join(lines)


async def started(args: argparse.Namespace, work: Path) -> tuple[Environment, list[dict]]:
    """A new system under test in `work` (its previous data wiped) and its logged-in users."""
    env = Environment(work, rabbit_port=args.rabbit_port, db_port=args.db_port,
                      base_port=args.base_port)
    print(f"starting RabbitMQ :{env.rabbit_port}, SecantusDB :{env.db_port}, services "
          f":{env.base_port}-{env.base_port + 5} (logs {env.work}/data/logs)", flush=True)
    try:
        await env.start()
        async with httpx.AsyncClient(base_url=env.system.public_url, timeout=15) as client:
            users = [await login(client, env.system.data_dir, f"fault{i}@example.com")
                     for i in range(args.users)]
    except BaseException:
        env.stop()
        raise
    return env, users


async def main_async(args: argparse.Namespace) -> int:
    names = args.only.split(",") if args.only else (list(SHORT) if args.short else list(FAULTS))
    unknown = [n for n in names if n not in FAULTS]
    if unknown:
        raise SystemExit(f"unknown faults {unknown}; known: {', '.join(FAULTS)}")
    work = Path(args.work).resolve()
    fresh = (not args.short) if args.fresh is None else args.fresh
    print(f"{'a fresh system for every run' if fresh else 'one system for every run'}; "
          f"bound {args.bound} s ({args.control_bound} s for a control)", flush=True)
    rows: list[dict[str, Any]] = []
    env: Environment | None = None
    try:
        for name in names:
            runs = [False, True] if args.control == "both" else [args.control == "only"]
            for control in runs:
                if env is None:
                    env, users = await started(
                        args, work / f"{name}{'-control' if control else ''}" if fresh else work)
                bound = args.control_bound if control else args.bound
                tasks = args.control_tasks if control else args.tasks
                row = await run_fault(env, FAULTS[name], users, tasks, bound, control)
                row["fresh_system"] = fresh
                rows.append(row)
                (work / "results.json").write_text(json.dumps(rows, indent=1))
                print(table([row]).splitlines()[-1], flush=True)
                print("    first seen, s after start (p50/p90/max): " + ", ".join(
                    f"{k} {'/'.join(map(str, v))}" for k, v in row["stages_s"].items())
                    + f"; database operations per task {_s(row['db_ops_per_task'])}"
                    + f"; SSE final frame after completion s (p50/p90/max) "
                    f"{'/'.join(map(str, row['sse_lag_s'])) or '-'}", flush=True)
                for note in row["notes"]:
                    print(f"    {note}", flush=True)
                if fresh:
                    env.stop()
                    env = None
    finally:
        if env is not None:
            env.stop()
        work.mkdir(parents=True, exist_ok=True)
        (work / "results.json").write_text(json.dumps(rows, indent=1))
    print("\n" + table(rows))
    bad = [r for r in rows if r["passed"] == r["control"]]
    print(f"faults: {len(rows) - len(bad)} passed, {len(bad)} failed")
    return 1 if bad else 0


def main() -> None:
    def interrupt(*_: object) -> None:  # SIGTERM: stop the system under test on the way out
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, interrupt)
    for noisy in ("aio_pika", "aiormq"):  # the recorder's reconnect chatter during broker faults
        logging.getLogger(noisy).setLevel(logging.CRITICAL)
    parser = argparse.ArgumentParser(prog="python -m faults", description=__doc__)
    parser.add_argument("--tasks", type=int, default=100)
    parser.add_argument("--users", type=int, default=5)
    parser.add_argument("--only", default="", help=f"comma list of: {', '.join(FAULTS)}")
    parser.add_argument("--short", action="store_true", help=f"only {', '.join(SHORT)}")
    parser.add_argument("--control", choices=("no", "only", "both"), default="both")
    parser.add_argument("--bound", type=float, default=300.0,
                        help="seconds after the batch starts by which every task must be final")
    parser.add_argument("--control-bound", type=float, default=60.0)
    parser.add_argument("--control-tasks", type=int, default=10,
                        help="tasks of a negative-control run (it only has to fail the check)")
    parser.add_argument("--fresh", action=argparse.BooleanOptionalAction, default=None,
                        help="a new system (broker, database, services, no data) for every "
                             "fault and control, so faults do not pile up on one database; "
                             "default: yes, except with --short (CI: one system, faster)")
    parser.add_argument("--work", default=str(ROOT / "var" / "faults"))
    parser.add_argument("--rabbit-port", type=int, default=5686)
    parser.add_argument("--db-port", type=int, default=8618)
    parser.add_argument("--base-port", type=int, default=8650)
    raise SystemExit(asyncio.run(main_async(parser.parse_args())))


if __name__ == "__main__":
    main()
