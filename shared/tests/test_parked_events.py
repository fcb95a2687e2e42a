"""The in-process broker's parked events outlive a restart, and a replay removes them for good."""

from lumi_shared.contracts import TaskCreated
from lumi_shared.errors import PoisonMessage
from lumi_shared.messaging import InMemoryBus, Subscription


async def started(parked_file, handler) -> InMemoryBus:
    bus = InMemoryBus(retry_base_delay=0.001, parked_file=parked_file, max_parked=3)
    bus.subscribe(Subscription("svc", TaskCreated, handler))
    await bus.start()
    return bus


async def test_parked_events_are_listed_after_a_restart_and_replayed_once(tmp_path):
    parked_file, handled = tmp_path / "parked-events.jsonl", []

    async def reject(event):
        raise PoisonMessage("not yet")

    async def accept(event):
        handled.append(event.prompt)

    first = await started(parked_file, reject)
    for prompt in ("a", "b", "c", "d"):  # at most 3 are kept: the oldest goes
        await first.publish(TaskCreated(task_id=prompt, user_id="u", prompt=prompt))
    await first.drain()
    await first.stop()

    restarted = await started(parked_file, accept)
    [listed] = await restarted.dead_letters("svc", sample=10)
    assert [r["body"]["prompt"] for r in listed["records"]] == ["b", "c", "d"]
    assert await restarted.replay("svc.task.created", limit=2) == 2
    await restarted.drain()
    assert handled == ["b", "c"]
    await restarted.stop()

    again = await started(parked_file, accept)
    [left] = await again.dead_letters("svc", sample=10)
    assert [r["body"]["prompt"] for r in left["records"]] == ["d"]
    assert len(parked_file.read_text().splitlines()) == 1
    await again.stop()


async def test_an_unreadable_line_is_skipped_not_fatal(tmp_path):
    parked_file = tmp_path / "parked-events.jsonl"
    parked_file.write_text('not json\n{"queue": "svc.task.created", "routing_key": "task.created",'
                           ' "body": {"prompt": "x"}}\n')

    async def accept(event):
        pass

    bus = await started(parked_file, accept)
    assert [r["body"]["prompt"] for r in bus.parked] == ["x"]
    await bus.stop()
