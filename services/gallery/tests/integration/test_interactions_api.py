"""Likes and favorites over HTTP: status, toggles, batch status, visibility."""

import asyncio

LIKE, FAVORITE = {"type": "LIKE"}, {"type": "FAVORITE"}


async def test_anonymous_interaction_status_is_empty(gallery):
    model_id = await gallery.ready()
    response = await gallery.get(f"/api/gallery/models/{model_id}/interactions")
    assert response.json()["data"] == {"isAuthenticated": False, "interactions": []}


async def test_toggling_like_and_favorite_reports_state_and_counts(gallery):
    model_id = await gallery.ready()
    url = f"/api/gallery/models/{model_id}/interactions"
    liked = (await gallery.post(url, "u1", json=LIKE)).json()["data"]
    assert liked == {"isInteracted": True, "type": "LIKE", "likeCount": 1, "favoriteCount": 0}
    faved = (await gallery.post(url, "u1", json=FAVORITE)).json()["data"]
    assert faved == {"isInteracted": True, "type": "FAVORITE", "likeCount": 1,
                     "favoriteCount": 1}
    status = (await gallery.get(url, "u1")).json()["data"]
    assert status == {"isAuthenticated": True, "interactions": ["LIKE", "FAVORITE"],
                      "isLiked": True, "isFavorited": True}
    unliked = (await gallery.post(url, "u1", json=LIKE)).json()["data"]
    assert unliked["isInteracted"] is False and unliked["likeCount"] == 0
    status = (await gallery.get(url, "u1")).json()["data"]
    assert status["interactions"] == ["FAVORITE"] and status["isLiked"] is False


async def test_toggle_requires_login_and_a_valid_type(gallery):
    model_id = await gallery.ready()
    url = f"/api/gallery/models/{model_id}/interactions"
    assert (await gallery.post(url, json=LIKE)).status_code == 401
    for body in ({}, {"type": "SHARE"}, {"type": "like"}):
        assert (await gallery.post(url, "u1", json=body)).status_code == 400


async def test_private_models_of_others_cannot_be_liked_or_inspected(gallery):
    model_id = await gallery.ready(user_id="owner", visibility="PRIVATE")
    url = f"/api/gallery/models/{model_id}/interactions"
    assert (await gallery.post(url, "someone-else", json=LIKE)).status_code == 404
    assert (await gallery.get(url, "someone-else")).status_code == 404
    assert (await gallery.get(url)).status_code == 404
    assert (await gallery.post(url, "owner", json=LIKE)).status_code == 200
    assert (await gallery.post("/api/gallery/models/nope/interactions", "u1",
                               json=LIKE)).status_code == 404


async def test_one_hundred_users_liking_at_once_give_exactly_one_hundred(gallery):
    model_id = await gallery.ready()
    url = f"/api/gallery/models/{model_id}/interactions"
    responses = await asyncio.gather(*(gallery.post(url, f"u{i}", json=LIKE)
                                       for i in range(100)))
    assert all(r.status_code == 200 for r in responses)
    detail = (await gallery.get(f"/api/gallery/models/{model_id}")).json()["data"]
    assert detail["likeCount"] == 100
    assert await gallery.db["interactions"].count_documents({"model_id": model_id}) == 100


async def test_batch_status_lists_every_requested_model(gallery):
    a, b = await gallery.ready(), await gallery.ready()
    await gallery.post(f"/api/gallery/models/{a}/interactions", "u1", json=LIKE)
    await gallery.post(f"/api/gallery/models/{b}/interactions", "u1", json=FAVORITE)
    url = "/api/gallery/models/batch-interactions"
    body = (await gallery.post(url, "u1", json={"modelIds": [a, b, "nope"]})).json()["data"]
    assert body == {"isAuthenticated": True, "interactions": {
        a: {"isLiked": True, "isFavorited": False},
        b: {"isLiked": False, "isFavorited": True},
        "nope": {"isLiked": False, "isFavorited": False}}}
    anonymous = (await gallery.post(url, json={"modelIds": [a]})).json()["data"]
    assert anonymous == {"isAuthenticated": False, "interactions": {}}


async def test_batch_accepts_one_to_a_hundred_ids_for_everyone(gallery):
    url = "/api/gallery/models/batch-interactions"
    for user in (None, "u1"):
        for ids in ([], [f"m{i}" for i in range(101)]):
            response = await gallery.post(url, user, json={"modelIds": ids})
            assert response.status_code == 400, (user, len(ids))
        assert (await gallery.post(url, user, json={})).status_code == 400
        ok = await gallery.post(url, user, json={"modelIds": [f"m{i}" for i in range(100)]})
        assert ok.status_code == 200  # the mobile app sends up to 100
        if user:
            assert len(ok.json()["data"]["interactions"]) == 100
