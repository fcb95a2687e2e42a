"""`/api/users/likes` and `/api/users/favorites`: the caller's models, newest first."""

import pytest

LISTS = [("likes", "LIKE"), ("favorites", "FAVORITE")]


async def interact(gallery, model_id, user, kind):
    response = await gallery.post(f"/api/gallery/models/{model_id}/interactions", user,
                                  json={"type": kind})
    assert response.status_code == 200


@pytest.mark.parametrize(("path", "kind"), LISTS)
async def test_the_list_holds_the_callers_models_newest_interaction_first(gallery, path, kind):
    first, second, third = [await gallery.ready() for _ in range(3)]
    for model_id in (second, first, third):
        await interact(gallery, model_id, "u1", kind)
    await interact(gallery, first, "u2", kind)
    response = await gallery.get(f"/api/users/{path}", "u1")
    body = response.json()["data"]  # the bare array the web favourites page reads
    assert isinstance(body, list) and [i["id"] for i in body] == [third, first, second]
    assert response.headers["x-total-count"] == "3" and response.headers["x-has-more"] == "false"
    assert body[0]["user"]["name"] == "Ada"


@pytest.mark.parametrize(("path", "kind"), LISTS)
async def test_models_the_caller_can_no_longer_see_drop_out(gallery, ev, path, kind):
    theirs = await gallery.ready(user_id="owner", version=3)
    mine = await gallery.ready(user_id="u1", version=3)
    gone = await gallery.ready(version=3)
    for model_id in (theirs, mine, gone):
        await interact(gallery, model_id, "u1", kind)
    await gallery.publish(ev.updated(theirs, "owner", version=4, visibility="PRIVATE"),
                          ev.updated(mine, "u1", version=4, visibility="PRIVATE"),
                          ev.deleted(gone, version=5))
    response = await gallery.get(f"/api/users/{path}", "u1")
    assert [i["id"] for i in response.json()["data"]] == [mine]
    assert response.headers["x-total-count"] == "1"


@pytest.mark.parametrize(("path", "kind"), LISTS)
async def test_the_list_is_paginated(gallery, path, kind):
    ids = [await gallery.ready() for _ in range(5)]
    for model_id in ids:
        await interact(gallery, model_id, "u1", kind)
    response = await gallery.get(f"/api/users/{path}", "u1", params={"limit": 2, "offset": 1})
    assert [i["id"] for i in response.json()["data"]] == [ids[3], ids[2]]
    assert response.headers["x-total-count"] == "5" and response.headers["x-has-more"] == "true"


@pytest.mark.parametrize("path", ["likes", "favorites"])
async def test_the_list_requires_login_and_valid_paging(gallery, path):
    assert (await gallery.get(f"/api/users/{path}")).status_code == 401
    for params in ({"limit": 0}, {"limit": 101}, {"offset": -1}, {"limit": "NaN"}):
        assert (await gallery.get(f"/api/users/{path}", "u1", params=params)).status_code == 400
    response = await gallery.get(f"/api/users/{path}", "u1")
    assert response.json()["data"] == [] and response.headers["x-total-count"] == "0"
