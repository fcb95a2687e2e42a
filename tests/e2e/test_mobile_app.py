"""The mobile app's calls (api-contract §1.1, column MB), in its order, through the gateway of
the embedded system, each checked for exactly the fields the app reads (client-audit §2, §5)."""

import httpx
import pytest

from lumi_embedded.harness import FINAL, mailed_code, task_when
from lumi_shared.testing import wait_for
from printing.printers.registry import bind_code

pytestmark = pytest.mark.e2e
EMAIL = "phone@example.com"


def data(response: httpx.Response, status: int = 200):
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert body["status"] == "success"
    return body["data"]


async def sign_up(client: httpx.AsyncClient, data_dir) -> dict[str, str]:
    # 1 send-code, 3 register, 4 login with the SAME code (what app/login.tsx does)
    data(await client.post("/api/auth/send-code", json={"email": EMAIL, "type": "register"}))
    code = await mailed_code(data_dir, EMAIL)
    data(await client.post("/api/auth/register", json={"email": EMAIL, "code": code}))
    token = data(await client.post("/api/auth/login", json={"email": EMAIL, "code": code}))["token"]
    assert token.startswith("Bearer ")  # stored and sent verbatim as Authorization
    client.cookies.clear()
    return {"authorization": token}


async def test_every_mobile_call_gets_the_shape_the_app_reads(embedded):
    async with httpx.AsyncClient(base_url=embedded.url, timeout=10) as client:
        me = await sign_up(client, embedded.data_dir)
        # 5 me
        who = data(await client.get("/api/auth/me", headers=me))
        assert who["status"] == "authenticated"
        assert {"id", "userName", "nickName", "email", "avatar"} <= set(who["user"])
        assert {"totalModels", "totalFavorites", "totalLikes"} <= set(who["user"]["stats"])
        # 8 create, 13 poll status (+ since -> 304), 10 select image
        task = data(await client.post("/api/tasks", json={"prompt": "a ceramic owl"}, headers=me),
                    201)
        task_id = task["id"]
        ready = await task_when(client, task_id, me, lambda t: t["phase"] == "AWAITING_SELECTION"
                                or t["status"] in FINAL)
        status = data(await client.get(f"/api/tasks/{task_id}/status", headers=me))
        assert {"status", "phase", "originalPrompt", "createdAt", "updatedAt",
                "selectedImageIndex", "images"} <= set(status)
        assert {"id", "index", "imageStatus", "imageUrl", "imagePrompt"} <= set(status["images"][0])
        unchanged = await client.get(f"/api/tasks/{task_id}/status",
                                     params={"since": status["updatedAt"]}, headers=me)
        assert unchanged.status_code == 304
        chosen = data(await client.patch(f"/api/tasks/{task_id}", json={"selectedImageIndex": 1},
                                         headers=me))
        assert chosen["model"]["id"] and chosen["task"]["selectedImageIndex"] == 1
        assert chosen["task"]["status"] in ("MODEL_PENDING", "MODEL_GENERATING")
        done = await task_when(client, task_id, me, lambda t: t["status"] in FINAL, timeout=60)
        assert done["status"] == "COMPLETED", ready
        model = data(await client.get(f"/api/tasks/{task_id}/status", headers=me))["model"]
        assert {"id", "modelUrl", "completedAt", "failedAt", "errorMessage"} <= set(model)
        assert model["generationJob"]["status"] == "COMPLETED"
        assert model["generationJob"]["progress"] == 100
        await check_obj_model(client, embedded.url, model)
        # 7 history with page/pageSize
        history = data(await client.get("/api/tasks", params={"page": 1, "pageSize": 5},
                                        headers=me))
        assert history["total"] == 1 and history["items"][0]["id"] == task_id
        item = history["items"][0]
        assert {"originalPrompt", "createdAt", "selectedImageIndex"} <= set(item)
        assert {"index", "imageUrl"} <= set(item["images"][0])
        # 17 gallery list, 18 detail
        model_id = model["id"]

        async def listed():
            page = data(await client.get("/api/gallery/models",
                                         params={"sort": "latest", "limit": 20, "offset": 0}))
            return next((i for i in page["items"] if i["id"] == model_id), None)

        entry = await wait_for(listed, 10)
        assert {"name", "previewImageUrl", "likeCount", "favoriteCount"} <= set(entry)
        detail = data(await client.get(f"/api/gallery/models/{model_id}"))
        assert {"name", "description", "previewImageUrl", "modelUrl", "mtlUrl", "textureUrl",
                "format", "fileSize", "viewCount", "likeCount", "favoriteCount", "faceCount",
                "vertexCount"} <= set(detail)
        assert detail["user"]["name"] and "@" not in detail["user"]["name"]
        await check_obj_model(client, embedded.url, detail)
        # 19 download, 21 interactions, 22 batch (up to 100 ids)
        data(await client.post(f"/api/gallery/models/{model_id}/download", json={}, headers=me))
        for kind in ("LIKE", "FAVORITE"):
            toggled = data(await client.post(f"/api/gallery/models/{model_id}/interactions",
                                             json={"type": kind}, headers=me))
            assert toggled["isInteracted"] is True
            assert {"likeCount", "favoriteCount"} <= set(toggled)
        ids = [model_id] + [f"missing-{i}" for i in range(99)]
        batch = data(await client.post("/api/gallery/models/batch-interactions",
                                       json={"modelIds": ids}, headers=me))
        assert batch["isAuthenticated"] is True and len(batch["interactions"]) == 100
        assert batch["interactions"][model_id] == {"isLiked": True, "isFavorited": True}
        # 24 my-models, 25 favorites, 26 likes: the bare array (the app takes array or items)
        for path in ("my-models", "favorites", "likes"):
            mine = data(await client.get(f"/api/users/{path}", headers=me))
            assert isinstance(mine, list) and [m["id"] for m in mine] == [model_id], path
        # 35 products, 40 bind, 36 list, 37 detail, 42 job, 41 unbind
        products = data(await client.get("/api/devices/products", headers=me))
        assert products["total"] >= 1
        assert {"productId", "productName", "model", "description"} <= set(products["products"][0])
        code = bind_code(embedded.apps["printing"].state.settings.PRINTER_BIND_SECRET, "SIM-002")
        bound = data(await client.post("/api/printers", json={"deviceName": "SIM-002",
                                                             "code": code}, headers=me), 201)
        assert bound["message"]
        printers = data(await client.get("/api/printers", headers=me))
        assert printers["total"] == 1
        printer = printers["printers"][0]
        assert {"id", "deviceName", "model", "status", "lastOnline"} <= set(printer)
        assert printer["status"] in ("ONLINE", "OFFLINE", "PRINTING", "PAUSED", "ERROR")
        one = data(await client.get(f"/api/printers/{printer['id']}", headers=me))["printer"]
        assert one["deviceName"] == "SIM-002" and one["status"].isupper()
        data(await client.delete(f"/api/printers/{printer['id']}", headers=me))
        assert data(await client.get("/api/printers", headers=me))["total"] == 0
        data(await client.post("/api/printers", json={"deviceName": "SIM-002", "code": code},
                               headers=me), 201)
        printer = data(await client.get("/api/printers", headers=me))["printers"][0]
        job = data(await client.post(f"/api/printers/{printer['id']}/jobs",
                                     json={"modelId": model_id, "taskName": "owl"}, headers=me),
                   201)
        assert job["taskId"]
        # 6 logout: the token stops working, and a 401 says UNAUTHORIZED
        data(await client.post("/api/auth/logout", json={}, headers=me))
        refused = await client.get("/api/tasks", headers=me)
        assert refused.status_code == 401 and refused.json()["data"]["code"] == "UNAUTHORIZED"


async def check_obj_model(client: httpx.AsyncClient, base: str, model: dict) -> None:
    """The app's viewer loads `modelUrl` as OBJ (no Authorization header); the model's
    display size is about +-1 unit; GLB and STL ride along."""
    assert model["format"] == "OBJ" and model["modelUrl"].endswith(".obj")
    assert model["mtlUrl"].endswith(".mtl") and model["textureUrl"].endswith(".png")
    assert model["glbUrl"].endswith(".glb") and model["stlUrl"].endswith(".stl")
    obj = await client.get(model["modelUrl"].replace(base, ""))
    assert obj.status_code == 200
    coords = [[float(v) for v in line.split()[1:4]] for line in obj.text.splitlines()
              if line.startswith("v ")]
    spans = [max(c[i] for c in coords) - min(c[i] for c in coords) for i in range(3)]
    assert 1.9 < max(spans) <= 2.0 + 1e-6
