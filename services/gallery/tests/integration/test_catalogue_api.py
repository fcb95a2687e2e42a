"""`GET /api/gallery/models`: what is listed, in which order, and how pages are cut."""

from datetime import timedelta

from lumi_shared.testing import from_ip


async def data(response, status=200):
    assert response.status_code == status, response.text
    return response.json()["data"]


async def test_only_public_completed_models_are_listed(gallery, ev):
    public = await gallery.ready()
    await gallery.ready(visibility="PRIVATE")
    failed = ev.new_id()
    await gallery.publish(ev.updated(failed, version=2, visibility="PUBLIC"))  # no files yet
    deleted = await gallery.ready()
    await gallery.publish(ev.deleted(deleted, version=9))
    body = await data(await gallery.get("/api/gallery/models"))
    assert [i["id"] for i in body["items"]] == [public]
    assert body["total"] == 1 and body["hasMore"] is False


async def test_items_carry_model_fields_and_owner_without_email(gallery):
    model_id = await gallery.ready(user_id="owner")
    item = (await data(await gallery.get("/api/gallery/models")))["items"][0]
    assert item["id"] == model_id and item["modelUrl"] == f"http://files/{model_id}.glb"
    assert item["glbUrl"] and item["previewImageUrl"] and item["format"] == "GLB"
    assert item["user"] == {"id": "owner", "name": "Ada", "avatar": "http://a/1.png"}
    assert item["publishedAt"].endswith("Z") and item["likeCount"] == 0
    assert "@" not in str(item) and "email" not in str(item)


async def test_latest_is_by_publication_date_newest_first(gallery, ev):
    old = await gallery.ready(minutes=1)
    new = await gallery.ready(minutes=5)
    mid = await gallery.ready(minutes=3)
    body = await data(await gallery.get("/api/gallery/models", params={"sortBy": "latest"}))
    assert [i["id"] for i in body["items"]] == [new, mid, old]


async def test_popular_liked_and_viewed_orders_accept_sort_and_sortby(gallery):
    a, b, c = [await gallery.ready() for _ in range(3)]
    for user in ("u1", "u2"):
        await gallery.post(f"/api/gallery/models/{a}/interactions", user, json={"type": "LIKE"})
    await gallery.post(f"/api/gallery/models/{c}/interactions", "u1", json={"type": "LIKE"})
    for viewer in ("1.1.1.1", "2.2.2.2", "3.3.3.3"):
        await gallery.get(f"/api/gallery/models/{b}", headers=from_ip(viewer))
    await gallery.get(f"/api/gallery/models/{c}", headers=from_ip("1.1.1.1"))

    async def order(**params):
        body = await data(await gallery.get("/api/gallery/models", params=params))
        return [i["id"] for i in body["items"]]

    assert await order(sortBy="popular") == await order(sort="popular") == [a, c, b]
    assert await order(sort="liked") == [a, c, b]
    assert await order(sortBy="viewed") == [b, c, a]


async def test_pages_never_repeat_or_skip_models_with_equal_sort_keys(gallery, ev):
    ids = {await gallery.ready(published_at=ev.T0) for _ in range(23)}
    for sort in ("latest", "popular", "liked", "viewed"):
        seen, offset = [], 0
        while True:
            body = await data(await gallery.get(
                "/api/gallery/models", params={"sort": sort, "limit": 5, "offset": offset}))
            seen += [i["id"] for i in body["items"]]
            offset += 5
            assert body["total"] == 23
            if not body["hasMore"]:
                break
        assert len(seen) == 23 and set(seen) == ids


async def test_limit_and_offset_out_of_range_or_unknown_sort_are_rejected(gallery):
    for params in ({"limit": 0}, {"limit": 101}, {"offset": -1}, {"limit": "x"},
                   {"sort": "random"}, {"sortBy": "oldest"}):
        response = await gallery.get("/api/gallery/models", params=params)
        assert response.status_code == 400, params
        assert response.json()["data"]["code"] == "VALIDATION_ERROR"
    assert (await gallery.get("/api/gallery/models", params={"limit": 100})).status_code == 200


async def test_owner_names_fall_back_when_the_directory_is_down(gallery, directory):
    directory.down = True
    await gallery.ready(user_id="owner", owner_name=None)
    body = await data(await gallery.get("/api/gallery/models"))
    assert body["items"][0]["user"] == {"id": "owner", "name": "Lumi user", "avatar": None}


async def test_the_name_modeling_sent_is_used_when_auth_does_not_know_the_owner(gallery):
    await gallery.ready(user_id="stranger", owner_name="Grace")
    body = await data(await gallery.get("/api/gallery/models"))
    assert body["items"][0]["user"]["name"] == "Grace"


async def test_an_update_making_a_model_private_removes_it_from_the_list(gallery, ev):
    model_id = await gallery.ready(version=3)
    await gallery.publish(ev.updated(model_id, version=4, visibility="PRIVATE"))
    assert (await data(await gallery.get("/api/gallery/models")))["total"] == 0
    await gallery.publish(ev.updated(model_id, version=5, visibility="PUBLIC", name="Back"))
    items = (await data(await gallery.get("/api/gallery/models")))["items"]
    assert items[0]["name"] == "Back" and items[0]["description"] == "A description"
    assert items[0]["publishedAt"] == (ev.T0 + timedelta(days=1)).isoformat(
        timespec="milliseconds").replace("+00:00", "Z")


async def test_the_list_still_answers_when_the_configured_auth_service_is_unreachable(ev):
    from gallery.config import Settings
    from gallery.main import create_app
    from lumi_shared.docstore import InMemoryClient
    from lumi_shared.messaging import InMemoryBus
    from lumi_shared.testing import running

    bus = InMemoryBus()
    settings = Settings(LUMI_ENV="test", AUTH_URL="http://127.0.0.1:9", LIST_CACHE_SECONDS=0)
    app = create_app(settings, mongo=InMemoryClient(), bus=bus)
    async with running(app) as client:
        await bus.start()
        await bus.publish(ev.ready("a1", "owner", owner_name=None))
        await bus.drain()
        response = await client.get("/api/gallery/models")
        await bus.stop()
    assert response.status_code == 200
    assert response.json()["data"]["items"][0]["user"]["name"] == "Lumi user"
