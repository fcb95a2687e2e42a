from gateway.sse import _CLOSE, SseHub, to_sse
from lumi_shared import contracts as c


def generating(task="t1", user="u1", index=0):
    return c.ImageGenerating(task_id=task, user_id=user, image_id=f"i{index}", index=index)


async def test_events_reach_only_clients_of_that_task_and_owner():
    hub = SseHub(buffer=10, max_clients=10)
    mine = hub.register("t1", "u1", "s1")
    other_task = hub.register("t2", "u1", "s1")
    await hub.on_event(generating())
    await hub.on_event(generating(user="intruder"))
    assert mine.queue.qsize() == 1 and other_task.queue.qsize() == 0


async def test_a_slow_client_is_dropped_without_hurting_the_others():
    hub = SseHub(buffer=3, max_clients=10)
    slow = hub.register("t1", "u1", None)
    fast = hub.register("t1", "u1", None)
    for i in range(10):
        await hub.on_event(generating(index=i % 4))
        while not fast.queue.empty():
            fast.queue.get_nowait()
    assert slow.dropped and hub.dropped == 1
    assert not fast.dropped and hub.count == 1


async def test_session_revocation_closes_that_sessions_streams():
    hub = SseHub(buffer=5, max_clients=10)
    revoked = hub.register("t1", "u1", "s-old")
    kept = hub.register("t1", "u1", "s-new")
    await hub.on_event(c.SessionRevoked(session_id="s-old", user_id="u1"))
    assert revoked.queue.get_nowait() is _CLOSE and hub.count == 1 and not kept.dropped


async def test_connection_limit_is_enforced():
    hub = SseHub(buffer=5, max_clients=2)
    assert hub.register("a", "u", None) and hub.register("b", "u", None)
    assert hub.register("c", "u", None) is None


def test_event_names_and_payloads_follow_the_old_api():
    assert to_sse(c.ImageCompleted(task_id="t", user_id="u", image_id="i", index=2,
                                   image_url="http://x/2.png")) == (
        "image:completed", {"imageId": "i", "index": 2, "imageUrl": "http://x/2.png"})
    assert to_sse(c.TaskImagesReady(task_id="t", user_id="u")) == (
        "task:updated", {"requestId": "t", "status": "IMAGE_COMPLETED", "phase": "AWAITING_SELECTION"})
    assert to_sse(c.ModelProgressed(task_id="t", user_id="u", model_id="m", version=2,
                                    progress=50, status="RUN"))[0] == "model:progress"
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
