"""`GET /internal/users/{id}/stats`: totals over the user's public models."""

from lumi_shared.identity import service_identity_header
from lumi_shared.settings import DEV_SECRET


def service() -> dict[str, str]:
    # Signed per request: identity headers expire after 60 s.
    return service_identity_header("auth", DEV_SECRET)


async def test_stats_sum_counters_of_public_models_and_count_the_users_interactions(gallery):
    public = await gallery.ready(user_id="author")
    private = await gallery.ready(user_id="author", visibility="PRIVATE")
    other = await gallery.ready(user_id="owner")
    for fan in ("u1", "u2"):
        await gallery.post(f"/api/gallery/models/{public}/interactions", fan,
                           json={"type": "LIKE"})
    await gallery.post(f"/api/gallery/models/{public}/interactions", "u1",
                       json={"type": "FAVORITE"})
    await gallery.post(f"/api/gallery/models/{public}/download", "u1")
    await gallery.get(f"/api/gallery/models/{public}", "u1")
    for model_id in (private, other):  # the author's own likes
        await gallery.post(f"/api/gallery/models/{model_id}/interactions", "author",
                           json={"type": "LIKE"})
        await gallery.get(f"/api/gallery/models/{model_id}", "author")
    response = await gallery.get("/internal/users/author/stats", headers=service())
    assert response.status_code == 200
    assert response.json()["data"] == {
        "totalLikes": 2, "totalFavorites": 1, "totalViews": 1, "totalDownloads": 1,
        "likedModelsCount": 2, "favoritedModelsCount": 0}


async def test_stats_of_an_unknown_user_are_zero(gallery):
    response = await gallery.get("/internal/users/nobody/stats", headers=service())
    assert set(response.json()["data"].values()) == {0}


async def test_stats_refuse_callers_without_a_service_identity(gallery):
    assert (await gallery.get("/internal/users/u1/stats")).status_code == 401
    assert (await gallery.get("/internal/users/u1/stats", "u1")).status_code == 401
