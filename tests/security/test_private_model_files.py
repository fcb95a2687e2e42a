"""Issue 13, item 1 through the gateway: a private model's files cannot be reached by
guessing or by knowing its id, old URLs die when it turns private or is deleted, and public
URLs stay stable and cacheable."""

import re

import pytest

from lumi_embedded.harness import FINAL, login, task_when

pytestmark = pytest.mark.e2e
KEYS = ("modelUrl", "glbUrl", "objUrl", "stlUrl", "mtlUrl", "textureUrl", "previewImageUrl")


async def _finished_model(system, client, me) -> dict:
    created = await client.post("/api/tasks", json={"prompt": "a lighthouse"}, headers=me)
    task_id = created.json()["data"]["id"]
    await task_when(client, task_id, me, lambda t: t["phase"] == "AWAITING_SELECTION"
                    or t["status"] in FINAL)
    await client.patch(f"/api/tasks/{task_id}", json={"selectedImageIndex": 0}, headers=me)
    done = await task_when(client, task_id, me, lambda t: t["status"] in FINAL, timeout=60)
    assert done["status"] == "COMPLETED", done
    return {**done["model"], "taskId": task_id}


def _path(system, url: str) -> str:
    return url.replace(system.url, "")


async def _own(client, me, model_id) -> dict:
    items = (await client.get("/api/users/models", headers=me)).json()["data"]["items"]
    return next(i for i in items if i["id"] == model_id)


async def test_private_model_files_are_unreachable_and_old_urls_die(system, client):
    me = await login(client, system.data_dir, "owner@example.com")
    model = await _finished_model(system, client, me)
    model_id, public = model["id"], {k: model[k] for k in KEYS if model.get(k)}
    first = await client.get(_path(system, public["glbUrl"]))
    assert first.status_code == 200 and "public" in first.headers["cache-control"]
    assert re.search(rf"/files/models/{model_id}/[A-Za-z0-9_-]{{22}}/model\.glb$", public["glbUrl"])
    for name in ("model.glb", "model.stl", "model.obj", "preview.png"):  # knowing the id is not enough
        assert (await client.get(f"/files/models/{model_id}/{name}")).status_code == 404

    turned = await client.patch(f"/api/models/{model_id}/visibility",
                                json={"visibility": "PRIVATE"}, headers=me)
    assert turned.status_code == 200
    private = {k: turned.json()["data"][k] for k in public}
    for key, url in public.items():
        if "/files/models/" in url:
            assert private[key] != url
            assert (await client.get(_path(system, url))).status_code == 404, key
    for url in private.values():
        assert (await client.get(_path(system, url))).status_code == 200
    task = await task_when(client, model["taskId"], me,
                           lambda t: t["model"]["glbUrl"] == private["glbUrl"], timeout=10)
    assert task["model"]["visibility"] == "PRIVATE"

    back = await client.patch(f"/api/models/{model_id}/visibility",
                              json={"visibility": "PUBLIC"}, headers=me)
    assert {k: back.json()["data"][k] for k in public} == private  # public again: stable URLs
    assert (await _own(client, me, model_id))["glbUrl"] == private["glbUrl"]

    assert (await client.delete(f"/api/models/{model_id}", headers=me)).status_code == 200
    for url in private.values():
        assert (await client.get(_path(system, url))).status_code == 404
