"""Task endpoints: validation, the task object, pagination, ownership and the stats route."""

import re

import pytest

from lumi_shared.identity import service_identity_header
from lumi_shared.settings import DEV_SECRET
from lumi_shared.testing import as_user

ISO_MS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
TASK_FIELDS = {"id", "userId", "externalUserId", "prompt", "originalPrompt", "status", "phase",
               "selectedImageIndex", "createdAt", "updatedAt", "completedAt", "errorMessage",
               "images", "model", "print"}
IMAGE_FIELDS = {"id", "requestId", "index", "imageUrl", "url", "imagePrompt", "imageStatus",
                "createdAt", "completedAt", "failedAt", "errorMessage", "generationJob"}


async def test_create_answers_201_with_the_full_task_and_four_pending_images(harness):
    response = await harness.client.post("/api/tasks", json={"prompt": "  a red dragon  "},
                                         headers=as_user("u1"))
    assert response.status_code == 201
    task = response.json()["data"]
    assert set(task) == TASK_FIELDS
    assert (task["prompt"], task["originalPrompt"]) == ("a red dragon", "a red dragon")
    assert (task["userId"], task["externalUserId"]) == ("u1", "u1")
    assert (task["status"], task["phase"]) == ("IMAGE_PENDING", "IMAGE_GENERATION")
    assert task["model"] is None and task["print"] is None and task["selectedImageIndex"] is None
    assert ISO_MS.match(task["createdAt"]) and ISO_MS.match(task["updatedAt"])
    assert [img["index"] for img in task["images"]] == [0, 1, 2, 3]
    for img in task["images"]:
        assert set(img) == IMAGE_FIELDS
        assert img["requestId"] == task["id"] and img["imageStatus"] == "PENDING"
        assert img["generationJob"] == {"status": "PENDING", "retryCount": 0}


@pytest.mark.parametrize("body", [
    {}, {"prompt": None}, {"prompt": 42}, {"prompt": ["a"]}, {"prompt": {"x": 1}},
    {"prompt": True}, {"prompt": ""}, {"prompt": "   \n"}, {"prompt": "x" * 501},
    {"text": "a dragon"}, [], "a dragon"])
async def test_create_refuses_invalid_prompts_with_400(harness, body):
    response = await harness.client.post("/api/tasks", json=body, headers=as_user("u1"))
    assert response.status_code == 400
    assert response.json()["data"]["code"] == "VALIDATION_ERROR"


async def test_create_refuses_malformed_json_with_400(harness):
    response = await harness.client.post("/api/tasks", content=b"{nope",
                                         headers={**as_user("u1"),
                                                  "content-type": "application/json"})
    assert response.status_code == 400


async def test_create_accepts_500_characters_after_trimming(harness):
    response = await harness.client.post("/api/tasks", json={"prompt": " " + "x" * 500 + " "},
                                         headers=as_user("u1"))
    assert response.status_code == 201


@pytest.mark.parametrize(("method", "path"), [
    ("GET", "/api/tasks"), ("POST", "/api/tasks"), ("GET", "/api/tasks/x"),
    ("GET", "/api/tasks/x/status"), ("PATCH", "/api/tasks/x"), ("DELETE", "/api/tasks/x"),
    ("POST", "/api/tasks/x/retry")])
async def test_every_task_route_needs_a_user(harness, method, path):
    response = await harness.client.request(method, path, json={})
    assert response.status_code == 401
    service = service_identity_header("gateway", DEV_SECRET)
    assert (await harness.client.request(method, path, json={}, headers=service)).status_code == 401


async def test_another_users_task_is_a_404_on_every_endpoint(harness):
    task = await harness.ready_task(user="owner")
    tid = task["id"]
    other = as_user("intruder")
    calls = [("GET", f"/api/tasks/{tid}", None), ("GET", f"/api/tasks/{tid}/status", None),
             ("PATCH", f"/api/tasks/{tid}", {"selectedImageIndex": 0}),
             ("DELETE", f"/api/tasks/{tid}", None),
             ("POST", f"/api/tasks/{tid}/retry", {"type": "image"}),
             ("POST", f"/api/tasks/{tid}/retry", {"type": "model"})]
    for method, path, body in calls:
        response = await harness.client.request(method, path, json=body, headers=other)
        assert response.status_code == 404, (method, path)
        assert response.json()["data"]["code"] == "NOT_FOUND"
    listed = await harness.client.get("/api/tasks", headers=other)
    assert listed.json()["data"]["items"] == []
    after = await harness.task(tid, user="owner")
    assert after["status"] == "IMAGE_COMPLETED" and after["updatedAt"] == task["updatedAt"]


async def test_unknown_tasks_are_404(harness):
    response = await harness.client.get("/api/tasks/does-not-exist", headers=as_user("u1"))
    assert response.status_code == 404


async def test_list_is_newest_first_with_real_total_offset_and_has_more(harness):
    ids = [(await harness.create(f"prompt {i}"))["id"] for i in range(5)]
    await harness.create("someone else's", user="u2")
    get = harness.client.get
    page = (await get("/api/tasks?limit=2", headers=as_user("u1"))).json()["data"]
    assert [t["id"] for t in page["items"]] == ids[::-1][:2]
    assert (page["total"], page["hasMore"], page["limit"], page["offset"]) == (5, True, 2, 0)
    page = (await get("/api/tasks?limit=2&offset=4", headers=as_user("u1"))).json()["data"]
    assert [t["id"] for t in page["items"]] == [ids[0]] and page["hasMore"] is False
    default = (await get("/api/tasks", headers=as_user("u1"))).json()["data"]
    assert len(default["items"]) == 5 and default["limit"] == 20
    assert set(default["items"][0]) == TASK_FIELDS


async def test_list_accepts_the_mobile_apps_page_and_page_size(harness):
    ids = [(await harness.create(f"prompt {i}"))["id"] for i in range(5)]
    response = await harness.client.get("/api/tasks?page=2&pageSize=2", headers=as_user("u1"))
    data = response.json()["data"]
    assert [t["id"] for t in data["items"]] == [ids[2], ids[1]]
    assert (data["page"], data["pageSize"], data["total"], data["hasMore"]) == (2, 2, 5, True)


@pytest.mark.parametrize("query", ["limit=0", "limit=101", "limit=abc", "offset=-1",
                                   "offset=1.5", "page=0", "pageSize=101", "pageSize=x"])
async def test_list_refuses_bad_pagination_with_400(harness, query):
    response = await harness.client.get(f"/api/tasks?{query}", headers=as_user("u1"))
    assert response.status_code == 400


async def test_internal_stats_count_the_users_tasks_for_service_callers_only(harness):
    await harness.ready_task(user="u7")
    await harness.create(user="u7")
    await harness.create(user="u8")
    stats_path = "/internal/users/u7/stats"
    assert (await harness.client.get(stats_path)).status_code == 401
    assert (await harness.client.get(stats_path, headers=as_user("u7"))).status_code == 401
    response = await harness.client.get(stats_path,
                                        headers=service_identity_header("auth", DEV_SECRET))
    assert response.status_code == 200
    assert response.json()["data"] == {"totalRequests": 2, "completedRequests": 0,
                                       "failedRequests": 0}
