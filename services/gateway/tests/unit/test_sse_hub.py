import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from gateway.history import History, frames_after
from gateway.hub import CLOSE, SseHub, to_sse
from lumi_shared import contracts as c
from lumi_shared.docstore import InMemoryClient
from lumi_shared.errors import ServiceUnavailable
from lumi_shared.testing import wait_for


def generating(task="t1", user="u1", index=0):
    return c.ImageGenerating(task_id=task, user_id=user, image_id=f"i{index}", index=index)


def history(**kw) -> History:
    return History(InMemoryClient()["lumi_gateway"]["sse_history"],
                   **{"max_frames": 200, "max_age": 600.0, **kw})


def hub(**kw) -> SseHub:
    return SseHub(history(), **{"buffer": 10, "max_clients": 10, **kw})


async def placed(h: SseHub, task="t1", user="u1", session=None, last_id=None):
    client = h.register(task, user, session)
    await h.position(client, last_id)
    return client


def drain(client) -> list:
    items = []
    while not client.queue.empty():
        items.append(client.queue.get_nowait())
    return items


async def test_events_reach_only_clients_of_that_task_and_owner():
    h = hub()
    mine, other_task = await placed(h), await placed(h, task="t2")
    await h.on_event(generating())
    await h.on_event(generating(user="intruder"))
    assert mine.queue.qsize() == 1 and other_task.queue.qsize() == 0


async def test_a_redelivered_event_is_one_frame_and_every_replica_sees_one_order():
    store = history()
    one, two = (SseHub(store, buffer=10, max_clients=10) for _ in range(2))
    a, b = await placed(one), await placed(two)
    events = [generating(index=i) for i in range(3)]
    for event in events:  # each replica receives every event once, the broker may repeat one
        await one.on_event(event)
        await two.on_event(event)
    await two.on_event(events[0])
    seen_a, seen_b = drain(a), drain(b)
    assert seen_a == seen_b and [i[2]["index"] for i in seen_a] == [0, 1, 2]
    doc = await store.load("t1")
    assert [f["seq"] for f in doc["frames"]] == [1, 2, 3]
    assert [f["data"]["index"] for f in doc["frames"]] == [0, 1, 2]


async def test_one_replicas_two_writers_record_an_event_with_one_database_write():
    import asyncio

    h = hub()
    client = await placed(h)
    writes = []
    append = h.history.append

    async def counted(*args, **kw):
        writes.append(args[0].event_id)
        return await append(*args, **kw)

    h.history.append = counted
    events = [generating(index=i) for i in range(5)]

    async def writer():  # the broadcast queue and the shared queue, each in publish order
        for event in events:
            await h.record(event)

    await asyncio.gather(writer(), writer())
    assert writes == [e.event_id for e in events]
    assert [item[2]["index"] for item in drain(client)] == [0, 1, 2, 3, 4]


async def test_history_keeps_the_last_frames_and_a_gap_drops_a_live_client():
    store = history(max_frames=3)
    for i in range(5):
        await store.append(generating(index=i % 4), "t1", "image:generating", {"i": i}, False)
    doc = await store.load("t1")
    assert [f["seq"] for f in doc["frames"]] == [3, 4, 5]
    assert frames_after(doc, 2) == doc["frames"] and frames_after(doc, 1) is None
    epoch = doc["epoch"]
    assert store.resume_point(doc, f"{epoch}-2", "u1") == 2
    assert store.resume_point(doc, f"{epoch}-1", "u1") is None  # frame 2 is gone
    assert store.resume_point(doc, f"{epoch}-5", "u1") == 5
    assert store.resume_point(doc, f"{epoch}-6", "u1") is None
    assert store.resume_point(doc, "other-4", "u1") is None
    assert store.resume_point(doc, f"{epoch}-4", "intruder") is None


async def test_a_writer_lagging_behind_the_kept_frames_records_nothing_twice():
    store = history(max_frames=2)
    events = [generating(index=i % 4) for i in range(6)]
    for _writer in range(2):  # e.g. the broadcast queue, then the shared queue's backlog
        for event in events:
            await store.append(event, "t1", "image:generating", {"i": event.index}, False)
    doc = await store.load("t1")
    assert doc["seq"] == 6 and [f["seq"] for f in doc["frames"]] == [5, 6]
    assert "eids" not in doc


async def test_frames_older_than_the_age_bound_are_not_replayed():
    now = [datetime(2026, 1, 1, tzinfo=UTC)]
    store = history(max_age=60.0, clock=lambda: now[0])
    for i in range(2):
        event = c.ImageGenerating(task_id="t1", user_id="u1", image_id="i", index=i,
                                  occurred_at=now[0])
        await store.append(event, "t1", "image:generating", {"i": i}, False)
    doc = await store.load("t1")
    assert store.resume_point(doc, f"{doc['epoch']}-1", "u1") == 1
    now[0] += timedelta(seconds=61)
    assert store.resume_point(doc, f"{doc['epoch']}-1", "u1") is None
    assert store.resume_point(doc, f"{doc['epoch']}-2", "u1") == 2  # saw everything
    late = generating()
    assert await store.append(late.model_copy(update={"occurred_at": now[0] - timedelta(
        seconds=120)}), "t1", "image:generating", {}, False) is None


async def test_a_client_placed_after_an_id_gets_the_missed_frames_once():
    h = hub()
    for i in range(4):
        await h.on_event(generating(index=i))
    doc = await h.history.load("t1")
    client = await placed(h, last_id=f"{doc['epoch']}-2")
    assert [(i[0], i[2]["index"]) for i in drain(client)] == [
        (f"{doc['epoch']}-3", 2), (f"{doc['epoch']}-4", 3)]
    await h.on_event(generating(index=0))
    assert [i[0] for i in drain(client)] == [f"{doc['epoch']}-5"]


async def test_a_slow_client_is_dropped_without_hurting_the_others():
    h = hub(buffer=3)
    slow, fast = await placed(h), await placed(h)
    for i in range(10):
        await h.on_event(generating(index=i % 4))
        drain(fast)
    assert slow.dropped and h.dropped == 1
    assert not fast.dropped and h.count == 1


async def test_the_final_frame_closes_the_stream():
    h = hub()
    client = await placed(h)
    await h.on_event(c.TaskDeleted(task_id="t1", user_id="u1"))
    items = drain(client)
    assert items[0][1] == "task:deleted" and items[1] is CLOSE


async def test_session_revocation_closes_that_sessions_streams():
    h = hub()
    revoked = await placed(h, session="s-old")
    kept = await placed(h, session="s-new")
    await h.on_event(c.SessionRevoked(session_id="s-old", user_id="u1"))
    assert revoked.queue.get_nowait() is CLOSE and h.count == 1 and not kept.dropped


async def test_a_replica_refuses_streams_beyond_its_limit():
    h = hub(max_clients=2)
    assert h.register("a", "u", None) and h.register("b", "v", None)
    with pytest.raises(ServiceUnavailable):
        h.register("c", "w", None)


def test_event_names_and_payloads_follow_the_old_api():
    assert to_sse(c.ImageCompleted(task_id="t", user_id="u", image_id="i", index=2,
                                   image_url="http://x/2.png")) == (
        "image:completed", {"imageId": "i", "index": 2, "imageUrl": "http://x/2.png"})
    assert to_sse(c.TaskImagesReady(task_id="t", user_id="u")) == (
        "task:updated", {"requestId": "t", "status": "IMAGE_COMPLETED", "phase": "AWAITING_SELECTION"})
    assert to_sse(c.ModelProgressed(task_id="t", user_id="u", model_id="m", version=2,
                                    progress=50, status="RUN"))[0] == "model:progress"
    assert to_sse(c.TaskStatusChanged(task_id="t", user_id="u", status="MODEL_PENDING",
                                      phase="MODEL_GENERATION")) == (
        "status", {"phase": "MODEL_GENERATION", "status": "MODEL_PENDING"})
    assert to_sse(c.SessionRevoked(session_id="s", user_id="u")) is None


def test_list_settings_accept_comma_separated_environment_values(monkeypatch):
    from gateway.config import Settings

    monkeypatch.setenv("CORS_ORIGINS", "https://a.example, https://b.example")
    monkeypatch.setenv("SESSION_COOKIE_NAMES", '["one", "two"]')
    settings = Settings()
    assert settings.CORS_ORIGINS == ["https://a.example", "https://b.example"]
    assert settings.SESSION_COOKIE_NAMES == ["one", "two"]


def test_failures_and_retries_are_shown_as_task_updates():
    failed = to_sse(c.TaskFailed(task_id="t", user_id="u", error_message="boom", status="MODEL_FAILED"))
    assert failed == ("task:updated", {"requestId": "t", "status": "MODEL_FAILED",
                                       "phase": "MODEL_GENERATION", "errorMessage": "boom"})
    retried = to_sse(c.TaskImagesRetried(task_id="t", user_id="u", indexes=[1, 3]))
    assert retried[1]["status"] == "IMAGE_GENERATING" and retried[1]["retriedIndexes"] == [1, 3]


async def test_broadcast_events_are_recorded_in_the_background_in_order_per_task():
    h = hub()
    gate = asyncio.Event()
    append = h.history.append

    async def slow_for_t1(event, task_id, *args, **kwargs):
        if task_id == "t1":
            await gate.wait()  # t1's database writes hang for now
        return await append(event, task_id, *args, **kwargs)

    h.history.append = slow_for_t1
    for i in range(5):
        await h.on_event(generating("t1", index=i), wait=False)
        await h.on_event(generating("t2", index=i), wait=False)

    async def t2_recorded():  # while t1 waits
        t2 = await h.history.load("t2")
        return t2 if t2 and t2["seq"] == 5 else None

    t2 = await wait_for(t2_recorded, timeout=20)
    assert [f["data"]["index"] for f in t2["frames"]] == [0, 1, 2, 3, 4]
    assert await h.history.load("t1") is None
    gate.set()
    await h.settled()
    t1 = await h.history.load("t1")
    assert [f["data"]["index"] for f in t1["frames"]] == [0, 1, 2, 3, 4]  # publish order
