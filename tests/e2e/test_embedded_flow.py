"""The whole system in embedded mode, over real sockets, as a client sees it."""

import asyncio
import json

import httpx
import pytest
from httpx_sse import aconnect_sse

from lumi_embedded.harness import FINAL, login, task_when

pytestmark = pytest.mark.e2e


async def test_prompt_to_printable_model_with_polling_and_sse(embedded):
    async with httpx.AsyncClient(base_url=embedded.url, timeout=10) as client:
        me = await login(client, embedded.data_dir, "maker@example.com")
        created = await client.post("/api/tasks", json={"prompt": "a small red dragon"}, headers=me)
        assert created.status_code == 201
        task_id = created.json()["data"]["id"]
        assert [i["imageStatus"] for i in created.json()["data"]["images"]] == ["PENDING"] * 4

        frames: list[tuple[str, dict]] = []

        async def follow() -> None:
            async with aconnect_sse(client, "GET", f"/api/tasks/{task_id}/events", headers=me) as sse:
                async for event in sse.aiter_sse():
                    frames.append((event.event, json.loads(event.data)))
                    if event.event in ("model:completed", "model:failed"):
                        return

        follower = asyncio.create_task(follow())
        ready = await task_when(client, task_id, me, lambda t: t["phase"] == "AWAITING_SELECTION"
                                or t["status"] in FINAL)
        assert ready["status"] == "IMAGE_COMPLETED"
        image = await client.get(ready["images"][2]["imageUrl"].replace(embedded.url, ""))
        assert image.status_code == 200 and image.content[:8] == b"\x89PNG\r\n\x1a\n"

        selected = await client.patch(f"/api/tasks/{task_id}", json={"selectedImageIndex": 2},
                                      headers=me)
        assert selected.status_code == 200, selected.text
        assert selected.json()["data"]["task"]["phase"] == "MODEL_GENERATION"
        done = await task_when(client, task_id, me, lambda t: t["status"] in FINAL, timeout=60)
        assert done["status"] == "COMPLETED" and done["phase"] == "COMPLETED"
        await asyncio.wait_for(follower, 15)

        names = [name for name, _ in frames]
        assert names[0] == "task:init"
        assert names.index("model:completed") > names.index("task:updated")
        model = done["model"]
        for key in ("glbUrl", "objUrl", "stlUrl", "modelUrl"):
            response = await client.get(model[key].replace(embedded.url, ""),
                                        headers={"origin": "http://localhost:3000"})
            assert response.status_code == 200 and response.headers["access-control-allow-origin"] == "*"

        gallery = await task_when_gallery(client, model["id"])
        assert gallery["user"]["name"] and "maker" not in gallery["user"]["name"]


async def task_when_gallery(client, model_id):
    from lumi_shared.testing import wait_for

    async def listed():
        items = (await client.get("/api/gallery/models")).json()["data"]["items"]
        return next((i for i in items if i["id"] == model_id), None)

    return await wait_for(listed, 10)


async def test_logout_revokes_the_session_everywhere_at_once(embedded):
    async with httpx.AsyncClient(base_url=embedded.url, timeout=10) as client:
        me = await login(client, embedded.data_dir, "leaver@example.com")
        assert (await client.get("/api/tasks", headers=me)).status_code == 200
        assert (await client.post("/api/auth/logout", headers=me)).status_code == 200
        refused = await client.get("/api/tasks", headers=me)
        assert refused.status_code == 401
        assert refused.json()["data"]["code"] == "UNAUTHORIZED"
        status = (await client.get("/api/auth/me", headers=me)).json()["data"]["status"]
        assert status == "expired"


async def test_bad_input_at_the_gateway_gets_jsend_errors_never_a_stack_trace(embedded):
    async with httpx.AsyncClient(base_url=embedded.url, timeout=10) as client:
        me = await login(client, embedded.data_dir, "tester@example.com")
        malformed = await client.post("/api/tasks", content=b'{"prompt": ', headers={
            **me, "content-type": "application/json"})
        assert malformed.status_code == 400
        assert malformed.json()["data"]["code"] == "VALIDATION_ERROR"
        huge = await client.post("/api/tasks", content=b"x" * (12 * 1024 * 1024), headers=me)
        assert huge.status_code == 413 and huge.json()["data"]["code"] == "PAYLOAD_TOO_LARGE"
        unknown = await client.get("/api/nothing/here", headers=me)
        assert unknown.status_code == 404 and unknown.json()["status"] == "fail"
        for response in (malformed, huge, unknown):
            assert "Traceback" not in response.text


async def test_another_users_task_is_invisible_on_every_channel(embedded):
    async with httpx.AsyncClient(base_url=embedded.url, timeout=10) as client:
        alice = await login(client, embedded.data_dir, "alice@example.com")
        bob = await login(client, embedded.data_dir, "bob@example.com")
        task_id = (await client.post("/api/tasks", json={"prompt": "alice's vase"},
                                     headers=alice)).json()["data"]["id"]
        for method, path in (("GET", ""), ("GET", "/status"), ("GET", "/events"),
                             ("DELETE", ""), ("PATCH", "")):
            kwargs = {"json": {"selectedImageIndex": 0}} if method == "PATCH" else {}
            response = await client.request(method, f"/api/tasks/{task_id}{path}", headers=bob,
                                            **kwargs)
            assert response.status_code == 404, (method, path, response.status_code)
        listed = (await client.get("/api/tasks", headers=bob)).json()["data"]
        assert listed["total"] == 0
