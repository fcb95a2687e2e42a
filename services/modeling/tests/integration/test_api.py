"""Own-model endpoints: lists, edits, visibility, deletion, ownership and validation."""

import re

import pytest

from lumi_shared.contracts import ModelDeleted, ModelReady, ModelUpdated
from lumi_shared.identity import service_identity_header
from lumi_shared.settings import DEV_SECRET
from lumi_shared.testing import as_user, wait_for


def alice_headers() -> dict[str, str]:
    # Signed per request: identity headers expire after 60 s, and a module-level constant
    # signed at import time expired whenever the suite took longer than that to get here.
    return as_user("alice")


def bob_headers() -> dict[str, str]:
    return as_user("bob")


@pytest.fixture
def create_model(client, bus, recorder, selection):
    async def create(user: str = "alice", prompt: str = "A small red robot", wait: bool = True):
        event = selection(user_id=user, prompt=prompt)
        await bus.publish(event)
        if wait:
            await recorder.wait(ModelReady, model_id=event.model_id, timeout=15)
        else:
            await bus.drain()
        return event.model_id

    return create


async def test_the_models_list_has_items_totals_public_count_and_has_more(client, create_model):
    ids = [await create_model(prompt=f"model {i}") for i in range(3)]
    await client.patch(f"/api/models/{ids[0]}/visibility", json={"visibility": "PRIVATE"},
                       headers=alice_headers())
    page = (await client.get("/api/users/models?limit=2", headers=alice_headers())).json()["data"]
    assert [m["id"] for m in page["items"]] == [ids[2], ids[1]]
    assert page["total"] == 3 and page["publicCount"] == 2 and page["hasMore"] is True

    last = (await client.get("/api/users/models?limit=2&offset=2", headers=alice_headers())).json()
    assert [m["id"] for m in last["data"]["items"]] == [ids[0]]
    assert last["data"]["hasMore"] is False


async def test_totals_respect_the_visibility_filter(client, create_model):
    ids = [await create_model(prompt=f"model {i}") for i in range(3)]
    await client.patch(f"/api/models/{ids[1]}/visibility", json={"visibility": "PRIVATE"},
                       headers=alice_headers())
    private = (await client.get("/api/users/models?visibility=PRIVATE",
                                headers=alice_headers())).json()["data"]
    assert [m["id"] for m in private["items"]] == [ids[1]]
    assert private["total"] == 1 and private["publicCount"] == 0 and not private["hasMore"]
    public = (await client.get("/api/users/models?visibility=PUBLIC",
                               headers=alice_headers())).json()["data"]
    assert public["total"] == 2 and public["publicCount"] == 2


async def test_sort_by_name_orders_alphabetically_and_sort_is_an_alias(client, create_model):
    for prompt in ("banana", "apple", "cherry"):
        await create_model(prompt=prompt)
    for query in ("sortBy=name", "sort=name"):
        page = (await client.get(f"/api/users/models?{query}", headers=alice_headers())).json()["data"]
        assert [m["name"] for m in page["items"]] == ["apple", "banana", "cherry"]


@pytest.mark.parametrize("query", ["limit=0", "limit=101", "offset=-1", "limit=abc",
                                   "sortBy=oldest", "visibility=public"])
async def test_invalid_list_parameters_are_a_400(client, query):
    response = await client.get(f"/api/users/models?{query}", headers=alice_headers())
    assert response.status_code == 400
    assert response.json()["data"]["code"] == "VALIDATION_ERROR"


async def test_my_models_answers_the_bare_array_of_the_old_backend(client, create_model):
    model_id = await create_model()
    response = await client.get("/api/users/my-models", headers=alice_headers())
    data = response.json()["data"]
    assert isinstance(data, list) and [m["id"] for m in data] == [model_id]
    assert response.headers["x-total-count"] == "1"


async def test_lists_show_only_the_callers_models_and_need_a_user(client, create_model):
    await create_model(user="alice")
    bob = (await client.get("/api/users/models", headers=bob_headers())).json()["data"]
    assert bob["items"] == [] and bob["total"] == 0
    assert (await client.get("/api/users/models")).status_code == 401


async def test_a_model_object_carries_every_entity_field(client, create_model):
    model_id = await create_model()
    item = (await client.get("/api/users/models", headers=alice_headers())).json()["data"]["items"][0]
    expected = {"id", "externalUserId", "userId", "source", "requestId", "sourceImageId",
                "name", "description", "modelUrl", "mtlUrl", "textureUrl", "previewImageUrl",
                "glbUrl", "objUrl", "stlUrl", "format", "fileSize", "faceCount", "vertexCount",
                "visibility", "publishedAt", "viewCount", "likeCount", "favoriteCount",
                "downloadCount", "sliceTaskId", "printStatus", "createdAt", "updatedAt",
                "completedAt", "failedAt", "errorMessage", "generationJob"}
    assert expected <= set(item)
    assert item["id"] == model_id and item["source"] == "AI_GENERATED"
    assert item["generationJob"] == {"status": "COMPLETED", "progress": 100, "retryCount": 0}
    # issue 13: files sit under an unguessable per-model key, not next to the model id;
    # the OBJ is what the mobile app's OBJ-only viewer reads; GLB and STL ride along
    assert re.search(rf"/models/{model_id}/[A-Za-z0-9_-]{{22}}/model\.obj$", item["modelUrl"])
    assert item["format"] == "OBJ"
    assert item["mtlUrl"].endswith("/material.mtl") and item["textureUrl"].endswith("/material.png")
    assert item["glbUrl"].endswith("/model.glb") and item["stlUrl"].endswith("/model.stl")
    assert item["createdAt"].endswith("Z") and item["completedAt"].endswith("Z")


async def test_patch_changes_name_and_description_and_emits_a_newer_version(
        client, create_model, recorder, bus):
    model_id = await create_model()
    ready = recorder.of(ModelReady, model_id=model_id)[-1]
    response = await client.patch(f"/api/models/{model_id}", headers=alice_headers(),
                                  json={"name": "  My robot  ", "description": "Shiny"})
    assert response.status_code == 200
    data = response.json()["data"]
    assert data["name"] == "My robot" and data["description"] == "Shiny"
    updated = await recorder.wait(ModelUpdated, model_id=model_id)
    assert updated.name == "My robot" and updated.version > ready.version
    assert updated.visibility == "PUBLIC" and updated.task_id is not None


async def test_unknown_body_fields_change_nothing_else(client, create_model, models):
    model_id = await create_model()
    before = await models.find_one({"_id": model_id})
    response = await client.patch(f"/api/models/{model_id}", headers=alice_headers(), json={
        "name": "Renamed", "user_id": "bob", "userId": "bob", "visibility": "PRIVATE",
        "modelUrl": "http://evil.test/x.glb", "version": 99, "job": {}, "likeCount": 5})
    assert response.status_code == 200
    after = await models.find_one({"_id": model_id})
    assert after["name"] == "Renamed" and after["version"] == before["version"] + 1
    for field in ("user_id", "visibility", "model_url", "job", "task_id"):
        assert after[field] == before[field]


@pytest.mark.parametrize("body", [{"name": ""}, {"name": "   "}, {"name": "x" * 101},
                                  {"description": "x" * 501}, {"name": None}])
async def test_invalid_edits_are_a_400(client, create_model, body):
    model_id = await create_model()
    response = await client.patch(f"/api/models/{model_id}", headers=alice_headers(), json=body)
    assert response.status_code == 400


async def test_an_edit_without_a_change_keeps_the_version(client, create_model, models):
    model_id = await create_model(prompt="Same name")
    before = await models.find_one({"_id": model_id})
    response = await client.patch(f"/api/models/{model_id}", headers=alice_headers(),
                                  json={"name": "Same name"})
    assert response.status_code == 200
    assert (await models.find_one({"_id": model_id}))["version"] == before["version"]


async def test_visibility_private_clears_and_public_sets_published_at(
        client, create_model, recorder):
    model_id = await create_model()
    private = await client.patch(f"/api/models/{model_id}/visibility", headers=alice_headers(),
                                 json={"visibility": "PRIVATE"})
    assert private.json()["data"]["visibility"] == "PRIVATE"
    assert private.json()["data"]["publishedAt"] is None
    public = await client.patch(f"/api/models/{model_id}/visibility", headers=alice_headers(),
                                json={"visibility": "PUBLIC"})
    assert public.json()["data"]["publishedAt"] is not None
    await wait_for(lambda: len(recorder.of(ModelUpdated, model_id=model_id)) == 2)
    events = sorted(recorder.of(ModelUpdated, model_id=model_id), key=lambda e: e.version)
    assert [e.visibility for e in events] == ["PRIVATE", "PUBLIC"]


async def test_an_unfinished_model_cannot_be_made_public(client, settings, create_model):
    model_id = await create_model(wait=False)
    await client.patch(f"/api/models/{model_id}/visibility", headers=alice_headers(),
                       json={"visibility": "PRIVATE"})
    doc = await client.app.state.modeling.repo.get(model_id)
    if doc["job"]["status"] == "COMPLETED":
        pytest.skip("the job finished before the request")
    response = await client.patch(f"/api/models/{model_id}/visibility", headers=alice_headers(),
                                  json={"visibility": "PUBLIC"})
    assert response.status_code == 409
    assert response.json()["data"]["code"] == "INVALID_STATE"


async def test_invalid_visibility_is_a_400(client, create_model):
    model_id = await create_model()
    response = await client.patch(f"/api/models/{model_id}/visibility", headers=alice_headers(),
                                  json={"visibility": "FRIENDS"})
    assert response.status_code == 400


async def test_delete_removes_the_model_and_its_files_and_emits_model_deleted(
        client, create_model, recorder, storage):
    model_id = await create_model()
    assert any((storage.root / "models" / model_id).glob("*/model.glb"))  # keyed folder
    response = await client.delete(f"/api/models/{model_id}", headers=alice_headers())
    assert response.status_code == 200
    assert response.json()["data"] == {"message": "Model deleted"}
    deleted = await recorder.wait(ModelDeleted, model_id=model_id)
    assert deleted.user_id == "alice" and deleted.version > 1
    assert not (storage.root / "models" / model_id).exists()
    assert (await client.get("/api/users/models", headers=alice_headers())).json()["data"]["total"] == 0
    again = await client.delete(f"/api/models/{model_id}", headers=alice_headers())
    assert again.status_code == 404


async def test_the_source_image_survives_the_model_deletion(
        client, create_model, source_image, storage):
    model_id = await create_model()
    await client.delete(f"/api/models/{model_id}", headers=alice_headers())
    key = source_image.removeprefix(storage.public_base_url + "/")
    assert await storage.get(key)


@pytest.mark.parametrize("method,path,body", [
    ("PATCH", "/api/models/{id}", {"name": "mine now"}),
    ("PATCH", "/api/models/{id}/visibility", {"visibility": "PRIVATE"}),
    ("DELETE", "/api/models/{id}", None),
])
async def test_another_users_model_is_a_404_and_stays_unchanged(
        client, create_model, models, method, path, body):
    model_id = await create_model(user="alice")
    before = await models.find_one({"_id": model_id})
    response = await client.request(method, path.format(id=model_id), headers=bob_headers(), json=body)
    assert response.status_code == 404
    assert response.json()["data"]["code"] == "NOT_FOUND"
    after = await models.find_one({"_id": model_id})
    assert after["version"] == before["version"] and after.get("deleted_at") is None


async def test_an_unknown_model_is_a_404(client):
    response = await client.patch("/api/models/nope", headers=alice_headers(), json={"name": "x"})
    assert response.status_code == 404


async def test_internal_stats_count_the_users_models_for_services_only(client, create_model):
    ids = [await create_model() for _ in range(3)]
    await client.patch(f"/api/models/{ids[0]}/visibility", headers=alice_headers(),
                       json={"visibility": "PRIVATE"})
    service = service_identity_header("auth", DEV_SECRET)
    response = await client.get("/internal/users/alice/stats", headers=service)
    assert response.json()["data"] == {"totalModels": 3, "publicModels": 2, "privateModels": 1}
    assert (await client.get("/internal/users/alice/stats", headers=alice_headers())).status_code == 401
    empty = await client.get("/internal/users/nobody/stats", headers=service)
    assert empty.json()["data"] == {"totalModels": 0, "publicModels": 0, "privateModels": 0}
