"""The signed provider webhook, refunds exactly once, and the reconciler."""

import time

from generation.studio.providers.kie import ProviderTask
from lumi_shared.testing import as_user

from .conftest import CDN, fail_payload, success_payload


async def _processing(studio, email="hook@example.com", **body):
    user = await studio.user(email, balance=100)
    data = (await studio.create(user, **body)).json()["data"]
    return user, data["generation_uuid"], studio.provider.created[-1]["task_id"]


async def test_a_signed_success_callback_completes_with_images_copied_to_our_storage(studio):
    user, gid, task_id = await _processing(studio)
    response = await studio.webhook(success_payload(task_id))
    assert response.status_code == 200, response.text
    assert response.json()["data"]["generation_status"] == "completed"
    status = (await studio.status(gid, user)).json()["data"]
    assert (status["status"], status["progress"]) == ("completed", 100)
    assert status["results"][0]["image_url"] == f"http://files.test/files/studio/{gid}/0.png"
    stored = await studio.app.state.generation.storage.get(f"studio/{gid}/0.png")
    assert stored.startswith(b"\x89PNG")
    assert await studio.balance(user) == 70


async def test_unauthenticated_callbacks_are_a_uniform_401_and_change_nothing(studio):
    user, gid, task_id = await _processing(studio)
    payload = success_payload(task_id)
    attempts = [
        await studio.webhook(payload, secret="whsec_" + "b3RoZXItc2VjcmV0LTAxMjM0NTY3ODlhYmNkZWY="),
        await studio.webhook(payload, now=time.time() - 301),
        await studio.webhook(payload, now=time.time() + 301),
        await studio.gen.post("/api/generation/webhook", json=payload),
        await studio.gen.post("/api/generation/webhook", json=payload, headers={
            "webhook-id": "m", "webhook-timestamp": str(int(time.time())),
            "webhook-signature": "v1,AAAA"}),
    ]
    assert [r.status_code for r in attempts] == [401] * 5
    assert len({r.text for r in attempts}) == 1
    assert (await studio.status(gid, user)).json()["data"]["status"] == "processing"


async def test_a_replayed_webhook_id_is_refused_and_a_foreign_result_host_is_refused(studio):
    user, gid, task_id = await _processing(studio)
    foreign = success_payload(task_id, [f"https://evil.example/{task_id}.png"])
    refused = await studio.webhook(foreign, msg_id="msg_foreign")
    assert refused.status_code == 400
    assert (await studio.status(gid, user)).json()["data"]["status"] == "processing"
    progress = {"code": 200, "data": {"taskId": task_id, "state": "generating", "progress": 40}}
    assert (await studio.webhook(progress, msg_id="msg_a")).status_code == 200
    replay = await studio.webhook(success_payload(task_id), msg_id="msg_a")
    assert (replay.status_code, replay.json()["data"]["code"]) == (409, "WEBHOOK_REPLAYED")
    status = (await studio.status(gid, user)).json()["data"]
    assert (status["status"], status["progress"]) == ("processing", 40)


async def test_a_failure_refunds_exactly_once_and_nothing_follows_the_refund(studio):
    user, gid, task_id = await _processing(studio)
    assert (await studio.webhook(fail_payload(task_id), msg_id="f1")).status_code == 200
    assert (await studio.webhook(fail_payload(task_id, "again"), msg_id="f2")).status_code == 200
    late = await studio.webhook(success_payload(task_id), msg_id="late")
    assert late.json()["data"]["generation_status"] == "failed"
    await studio.settle()
    await studio.app.state.studio_reconciler.run_once()
    await studio.settle()
    status = (await studio.status(gid, user)).json()["data"]
    assert (status["status"], status["error_message"], status["results"]) == (
        "failed", "content policy", [])
    assert await studio.balance(user) == 100
    assert [k for k, _ in await studio.ledger(user)].count("refund") == 1


async def test_a_callback_for_an_unknown_task_or_malformed_body_is_refused(studio):
    await _processing(studio)
    assert (await studio.webhook(success_payload("no-such-task"))).status_code == 404
    assert (await studio.webhook(None, raw=b"not json", msg_id="x1")).status_code == 400
    odd = {"data": {"taskId": "task-1", "state": "exploded"}}
    assert (await studio.webhook(odd, msg_id="x2")).status_code == 400


async def test_a_callback_that_beats_the_create_answer_finds_its_generation_by_the_hint(studio):
    answers = []

    async def call_back_first(task_id, sent):
        query = "?" + sent["callback_url"].split("?", 1)[1]
        answers.append(await studio.webhook(success_payload(task_id), query=query))

    studio.provider.before_return = call_back_first
    user, gid, task_id = await _processing(studio)
    assert answers[0].status_code == 200, answers[0].text
    status = (await studio.status(gid, user)).json()["data"]
    assert (status["status"], status["remote_task_id"]) == ("completed", task_id)


async def test_the_reconciler_settles_a_generation_whose_callback_never_came(studio, clock):
    user, gid, task_id = await _processing(studio)
    user2, gid2, task_id2 = await _processing(studio, "slow@example.com")
    studio.provider.records[task_id] = ProviderTask(task_id, "success",
                                                    [f"https://{CDN}/r/{task_id}.png"])
    clock.advance(61)
    await studio.app.state.studio_reconciler.run_once()
    assert (await studio.status(gid, user)).json()["data"]["status"] == "completed"
    assert (await studio.status(gid2, user2)).json()["data"]["status"] == "processing"
    handled = await studio.gen.post("/api/generation/handle-failure", headers=as_user(user2),
        json={"generation_uuid": gid2, "reason": "poll timeout", "error_type": "polling_timeout"})
    assert handled.json()["data"]["status"] == "processing"  # the client's word refunds nothing
    clock.advance(900)
    await studio.app.state.studio_reconciler.run_once()
    await studio.settle()
    status = (await studio.status(gid2, user2)).json()["data"]
    assert (status["status"], status["error_code"]) == ("failed", "GENERATION_TIMEOUT")
    assert await studio.balance(user2) == 100 and await studio.balance(user) == 70


async def test_handle_failure_is_for_the_owner_only(studio):
    user, gid, _ = await _processing(studio)
    stranger = await studio.user("nosy@example.com")
    response = await studio.gen.post("/api/generation/handle-failure", headers=as_user(stranger),
                                     json={"generation_uuid": gid})
    assert response.status_code == 404
    assert (await studio.gen.post("/api/generation/handle-failure", json={
        "generation_uuid": gid})).status_code == 401
