from datetime import UTC, datetime, timedelta

from generation.domain import images as jobs
from generation.domain import task as tasks

NOW = datetime(2025, 12, 20, 10, 0, tzinfo=UTC)
LEASE = timedelta(minutes=5)


def claimed(apply, doc, index, token="t"):
    return apply(doc, jobs.claim(index, token, LEASE)(doc, NOW))


def test_the_first_claim_starts_the_task_and_announces_the_image(apply):
    doc, _ = tasks.new_task("u1", "p", NOW)
    change = jobs.claim(0, "t", LEASE)(doc, NOW)
    after = apply(doc, change)
    assert after["status"] == "IMAGE_GENERATING"
    assert after["images"][0]["imageStatus"] == "GENERATING"
    assert after["images"][0]["job"]["status"] == "RUNNING"
    assert after["images"][0]["job"]["leaseUntil"] == NOW + LEASE
    assert [e.routing_key for e in change.events] == ["image.generating"]


def test_a_claimed_image_cannot_be_claimed_again_until_its_lease_expires(apply):
    doc, _ = tasks.new_task("u1", "p", NOW)
    doc = claimed(apply, doc, 0, "first")
    assert jobs.claim(0, "second", LEASE)(doc, NOW + timedelta(minutes=1)) is None
    assert jobs.claim(0, "second", LEASE)(doc, NOW + LEASE + timedelta(seconds=1)) is not None


def test_writes_with_a_stale_claim_token_are_ignored(apply):
    doc, _ = tasks.new_task("u1", "p", NOW)
    doc = claimed(apply, doc, 0, "mine")
    assert jobs.complete(0, "other", "http://x/0.png")(doc, NOW) is None
    assert jobs.fail(0, "other", "boom")(doc, NOW) is None
    assert jobs.retrying(0, "other", 1, LEASE)(doc, NOW) is None


def test_a_retry_keeps_the_image_generating_and_counts_the_retry(apply):
    doc, _ = tasks.new_task("u1", "p", NOW)
    doc = claimed(apply, doc, 0)
    after = apply(doc, jobs.retrying(0, "t", 1, LEASE)(doc, NOW))
    image = after["images"][0]
    assert image["imageStatus"] == "GENERATING" and image["failedAt"] is None
    assert image["job"]["status"] == "RETRYING" and image["job"]["retryCount"] == 1


def test_the_fourth_completed_image_makes_the_task_await_selection(apply):
    doc, _ = tasks.new_task("u1", "p", NOW)
    for i in range(4):
        doc = claimed(apply, doc, i)
    for i in range(3):
        change = jobs.complete(i, "t", f"http://x/{i}.png")(doc, NOW)
        doc = apply(doc, change)
        assert doc["status"] == "IMAGE_GENERATING"
    change = jobs.complete(3, "t", "http://x/3.png")(doc, NOW)
    doc = apply(doc, change)
    assert (doc["status"], doc["phase"]) == ("IMAGE_COMPLETED", "AWAITING_SELECTION")
    assert [e.routing_key for e in change.events] == ["image.completed", "task.images_ready"]


def test_a_final_image_failure_fails_the_task_once_the_other_images_settle(apply):
    doc, _ = tasks.new_task("u1", "p", NOW)
    for i in range(4):
        doc = claimed(apply, doc, i)
    change = jobs.fail(0, "t", "Image provider answered HTTP 500")(doc, NOW)
    doc = apply(doc, change)
    assert doc["status"] == "IMAGE_GENERATING"
    assert [e.routing_key for e in change.events] == ["image.failed"]
    for i in (1, 2):
        doc = apply(doc, jobs.complete(i, "t", f"http://x/{i}.png")(doc, NOW))
    change = jobs.complete(3, "t", "http://x/3.png")(doc, NOW)
    doc = apply(doc, change)
    assert (doc["status"], doc["phase"]) == ("IMAGE_FAILED", "IMAGE_GENERATION")
    assert doc["errorMessage"] == "1 of 4 images failed: Image provider answered HTTP 500"
    failed = change.events[-1]
    assert (failed.routing_key, failed.status) == ("task.failed", "IMAGE_FAILED")


def test_the_sweeper_times_out_images_whose_lease_ran_out(apply):
    doc, _ = tasks.new_task("u1", "p", NOW)
    for i in range(4):
        doc = claimed(apply, doc, i)
    for i in range(3):
        doc = apply(doc, jobs.complete(i, "t", f"http://x/{i}.png")(doc, NOW))
    later = NOW + LEASE + timedelta(seconds=1)
    assert jobs.expire_images(NOW - timedelta(hours=1))(doc, NOW) is None
    change = jobs.expire_images(later - timedelta(hours=1))(doc, later)
    doc = apply(doc, change)
    assert doc["images"][3]["imageStatus"] == "FAILED"
    assert doc["images"][3]["job"]["status"] == "TIMEOUT"
    assert doc["status"] == "IMAGE_FAILED"


def test_the_sweeper_fails_a_task_whose_images_never_started(apply):
    doc, _ = tasks.new_task("u1", "p", NOW)
    later = NOW + timedelta(hours=1)
    assert jobs.expire_images(NOW - timedelta(seconds=1))(doc, later) is None
    change = jobs.expire_images(NOW + timedelta(seconds=1))(doc, later)
    doc = apply(doc, change)
    assert (doc["status"], doc["phase"]) == ("FAILED", "IMAGE_GENERATION")
    assert {img["imageStatus"] for img in doc["images"]} == {"FAILED"}
    assert change.events[-1].status == "FAILED"


def test_stored_prompts_are_never_overwritten(apply):
    doc, _ = tasks.new_task("u1", "p", NOW)
    doc["images"][0]["imagePrompt"] = "kept"
    after = apply(doc, jobs.set_prompts({i: f"v{i}" for i in range(4)})(doc, NOW))
    assert [img["imagePrompt"] for img in after["images"]] == ["kept", "v1", "v2", "v3"]
