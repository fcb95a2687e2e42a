"""Public JSON of a catalogue entry: field names, dates, owner names."""

from datetime import UTC, datetime

from gallery.repository.catalogue import new_model_doc
from gallery.views import iso, model_item, owner_of, page

CLIENT_FIELDS = {
    "id", "name", "description", "previewImageUrl", "modelUrl", "format", "glbUrl", "objUrl",
    "mtlUrl", "textureUrl", "stlUrl", "fileSize", "faceCount", "vertexCount", "visibility",
    "publishedAt", "likeCount", "favoriteCount", "viewCount", "downloadCount", "createdAt",
    "completedAt", "user", "sliceTaskId", "sliceStatus", "gcodeUrl", "printStatus",
}


def test_an_item_has_exactly_the_fields_the_clients_read():
    doc = new_model_doc("m1", user_id="u1", status="READY", visibility="PUBLIC",
                        created_at=datetime(2025, 12, 20, 10, tzinfo=UTC), like_count=3)
    item = model_item(doc, {})
    assert set(item) == CLIENT_FIELDS
    assert item["createdAt"] == "2025-12-20T10:00:00.000Z" and item["likeCount"] == 3
    assert item["user"] == {"id": "u1", "name": "Lumi user", "avatar": None}


def test_naive_datetimes_are_read_as_utc():
    assert iso(datetime(2025, 1, 2, 3, 4, 5, 678900)) == "2025-01-02T03:04:05.678Z"
    assert iso(None) is None


def test_the_owner_name_prefers_auth_then_the_event_then_a_neutral_name():
    doc = {"user_id": "u1", "owner_name": "From event"}
    assert owner_of(doc, {"u1": {"name": "Ada", "avatar": "a.png"}}) == {
        "id": "u1", "name": "Ada", "avatar": "a.png"}
    assert owner_of(doc, {})["name"] == "From event"
    assert owner_of({"user_id": "u1"}, {})["name"] == "Lumi user"


def test_an_email_address_is_never_shown_as_a_name():
    doc = {"user_id": "u1", "owner_name": "ada@example.com"}
    assert owner_of(doc, {"u1": {"name": "ada@example.com"}})["name"] == "Lumi user"


def test_counters_are_never_shown_negative():
    assert model_item(new_model_doc("m1", like_count=-1), {})["likeCount"] == 0


def test_has_more_tells_whether_items_remain_after_this_page():
    assert page([1, 2], 5, 0)["hasMore"] is True
    assert page([1, 2], 5, 3)["hasMore"] is False
