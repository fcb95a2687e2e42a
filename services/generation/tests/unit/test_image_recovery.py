"""A dead or cancelled image worker never fails a healthy task: cancelled work is released,
live work renews its lease, and the sweeper hands dead work back before it gives up."""

from datetime import timedelta

from generation.domain import images as jobs
from generation.domain import task as tasks

from .test_image_jobs import LEASE, NOW, claimed


def test_a_cancelled_worker_releases_its_image_for_the_redelivered_message(apply):
    doc, _ = tasks.new_task("u1", "p", NOW)
    doc = claimed(apply, doc, 1, "cancelled")
    assert jobs.release(1, "someone-else")(doc, NOW) is None
    doc = apply(doc, jobs.release(1, "cancelled")(doc, NOW))
    image = doc["images"][1]
    assert (image["imageStatus"], image["job"]["status"], image["job"]["token"]) == (
        "PENDING", "PENDING", None)
    assert jobs.claim(1, "redelivered", LEASE)(doc, NOW + timedelta(seconds=1)) is not None
    assert jobs.complete(1, "cancelled", "http://x/1.png")(doc, NOW) is None


def test_a_live_worker_renews_its_lease_and_a_stale_token_cannot(apply):
    doc, _ = tasks.new_task("u1", "p", NOW)
    doc = claimed(apply, doc, 0, "live")
    later = NOW + LEASE - timedelta(seconds=1)
    assert jobs.renew(0, "other", LEASE)(doc, later) is None
    doc = apply(doc, jobs.renew(0, "live", LEASE)(doc, later))
    assert doc["images"][0]["job"]["leaseUntil"] == later + LEASE
    assert jobs.claim(0, "thief", LEASE)(doc, NOW + LEASE + timedelta(seconds=1)) is None


def test_the_sweeper_hands_dead_images_back_before_it_fails_them(apply):
    doc, _ = tasks.new_task("u1", "p", NOW)
    for i in range(4):
        doc = claimed(apply, doc, i, f"t{i}")
    for i in range(2):
        doc = apply(doc, jobs.complete(i, f"t{i}", f"http://x/{i}.png")(doc, NOW))
    when = NOW + LEASE + timedelta(seconds=1)
    for recovery in (1, 2):
        change = jobs.expire_images(when - timedelta(hours=1), max_recoveries=2)(doc, when)
        doc = apply(doc, change)
        assert [img["imageStatus"] for img in doc["images"]] == [
            "COMPLETED", "COMPLETED", "PENDING", "PENDING"]
        assert doc["recoveries"] == recovery and doc["status"] == "IMAGE_GENERATING"
        assert [(e.routing_key, e.indexes) for e in change.events] == [
            ("task.images_retried", [2, 3])]
        for i in (2, 3):
            doc = claimed(apply, doc, i, f"r{recovery}-{i}")
            doc["images"][i]["job"]["leaseUntil"] = NOW  # this worker died too
    change = jobs.expire_images(when - timedelta(hours=1), max_recoveries=2)(doc, when)
    doc = apply(doc, change)
    assert [img["imageStatus"] for img in doc["images"]][2:] == ["FAILED", "FAILED"]
    assert doc["status"] == "IMAGE_FAILED"


def test_a_task_whose_images_never_started_is_kicked_again_before_it_fails(apply):
    doc, _ = tasks.new_task("u1", "p", NOW)
    later = NOW + timedelta(hours=1)
    change = jobs.expire_images(NOW + timedelta(seconds=1), max_recoveries=1)(doc, later)
    doc = apply(doc, change)
    assert change.events[0].indexes == [0, 1, 2, 3] and doc["recoveries"] == 1
    assert {img["imageStatus"] for img in doc["images"]} == {"PENDING"}
    change = jobs.expire_images(NOW + timedelta(seconds=1), max_recoveries=1)(doc, later)
    assert apply(doc, change)["status"] == "FAILED"
