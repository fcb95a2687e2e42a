"""Gallery detail views: a repeat hit writes nothing, unique viewers are counted exactly."""

import asyncio

IP = {"X-Lumi-Client-IP": "203.0.113.9"}


async def test_repeat_views_cost_no_write_and_unique_viewers_count_exactly(gallery, monkeypatch):
    model_id = await gallery.ready()
    markers, catalogue = gallery.db["view_markers"], gallery.db["catalogue"]
    writes = {"markers": 0, "counter": 0}

    def counting(name, method):
        async def wrapped(*args, **kwargs):
            writes[name] += 1
            return await method(*args, **kwargs)
        return wrapped

    monkeypatch.setattr(markers, "update_one", counting("markers", markers.update_one))
    monkeypatch.setattr(catalogue, "find_one_and_update",
                        counting("counter", catalogue.find_one_and_update))
    viewers = [f"u{i}" for i in range(5)]
    await asyncio.gather(*(gallery.get(f"/api/gallery/models/{model_id}", user, headers=IP)
                           for user in viewers for _ in range(4)))
    doc = await catalogue.find_one({"_id": model_id})
    assert doc["view_count"] == 5 == writes["counter"]
    before = dict(writes)
    for user in viewers * 3:
        response = await gallery.get(f"/api/gallery/models/{model_id}", user, headers=IP)
        assert response.json()["data"]["viewCount"] == 5
    assert writes == before  # seen viewers: one read each, no write
