"""Model details (visibility, deduplicated views) and download counting."""

from datetime import UTC, datetime, timedelta

from lumi_shared.contracts import ModelFailed
from lumi_shared.testing import from_ip

IP = from_ip("203.0.113.7")


async def test_a_public_model_is_readable_by_anyone(gallery):
    model_id = await gallery.ready()
    response = await gallery.get(f"/api/gallery/models/{model_id}")
    assert response.status_code == 200
    body = response.json()["data"]
    assert body["id"] == model_id and body["user"]["name"] == "Ada"


async def test_a_private_model_is_readable_only_by_its_owner(gallery):
    model_id = await gallery.ready(user_id="owner", visibility="PRIVATE")
    assert (await gallery.get(f"/api/gallery/models/{model_id}", "owner")).status_code == 200
    for user in (None, "someone-else"):
        response = await gallery.get(f"/api/gallery/models/{model_id}", user)
        assert response.status_code == 404
        assert response.json()["data"]["code"] == "NOT_FOUND"


async def test_missing_deleted_and_failed_models_are_not_found(gallery, ev):
    deleted, failed = await gallery.ready(), await gallery.ready(version=3)
    await gallery.publish(ev.deleted(deleted, version=9), ModelFailed(
        task_id="t", user_id="owner", model_id=failed, version=4, error_message="boom"))
    for model_id in ("nope", deleted, failed):
        assert (await gallery.get(f"/api/gallery/models/{model_id}", "owner")).status_code == 404


async def test_views_count_once_per_user_per_hour(gallery):
    model_id = await gallery.ready()
    for _ in range(3):
        body = (await gallery.get(f"/api/gallery/models/{model_id}", "u1", headers=IP)).json()
    assert body["data"]["viewCount"] == 1
    body = (await gallery.get(f"/api/gallery/models/{model_id}", "u2", headers=IP)).json()
    assert body["data"]["viewCount"] == 2  # same address, another user: another viewer


async def test_anonymous_views_count_once_per_client_address(gallery):
    model_id = await gallery.ready()
    for ip in ("198.51.100.1", "198.51.100.1", "198.51.100.2"):
        response = await gallery.get(f"/api/gallery/models/{model_id}",
                                     headers=from_ip(ip))
    assert response.json()["data"]["viewCount"] == 2


async def test_a_view_counts_again_once_the_hour_has_passed(gallery):
    model_id = await gallery.ready()
    await gallery.get(f"/api/gallery/models/{model_id}", headers=IP)
    markers = gallery.db["view_markers"]
    assert await markers.count_documents({}) == 1
    marker = await markers.find_one({})
    assert "203.0.113.7" not in marker["_id"]  # viewers are stored hashed
    past = datetime.now(UTC) - timedelta(hours=1, seconds=1)
    await markers.update_one({}, {"$set": {"viewed_at": past}})
    response = await gallery.get(f"/api/gallery/models/{model_id}", headers=IP)
    assert response.json()["data"]["viewCount"] == 2


async def test_concurrent_views_by_one_viewer_count_once(gallery):
    import asyncio

    model_id = await gallery.ready()
    await asyncio.gather(*(gallery.get(f"/api/gallery/models/{model_id}", "u1")
                           for _ in range(10)))
    doc = await gallery.db["catalogue"].find_one({"_id": model_id})
    assert doc["view_count"] == 1


async def test_download_requires_login_and_counts(gallery):
    model_id = await gallery.ready()
    url = f"/api/gallery/models/{model_id}/download"
    assert (await gallery.post(url)).status_code == 401
    response = await gallery.post(url, "u1")
    assert response.status_code == 200 and response.json()["data"]["message"]
    await gallery.post(url, "u1")
    detail = (await gallery.get(f"/api/gallery/models/{model_id}", "u1")).json()["data"]
    assert detail["downloadCount"] == 2


async def test_download_of_a_private_model_counts_only_for_its_owner(gallery):
    model_id = await gallery.ready(user_id="owner", visibility="PRIVATE")
    url = f"/api/gallery/models/{model_id}/download"
    assert (await gallery.post(url, "someone-else")).status_code == 404
    assert (await gallery.post(url, "owner")).status_code == 200
    assert (await gallery.post("/api/gallery/models/nope/download", "owner")).status_code == 404
