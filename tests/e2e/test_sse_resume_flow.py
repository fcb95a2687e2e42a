"""The task event stream of the whole system as an EventSource client reads it: `status`
frames for the initial state and every change, and a reconnect with `Last-Event-ID` that
gets exactly the frames it missed, in order."""

import json

import httpx
from httpx_sse import aconnect_sse

from lumi_embedded.harness import login, task_when


async def frames_until(client, path, headers, stop) -> list[tuple[str, str, dict]]:
    frames: list[tuple[str, str, dict]] = []
    async with aconnect_sse(client, "GET", path, headers=headers) as sse:
        async for event in sse.aiter_sse():
            if event.event == "heartbeat":
                continue
            frames.append((event.id, event.event, json.loads(event.data)))
            if stop(event.event, frames[-1][2]):
                return frames
    return frames


def is_status(phase):
    return lambda name, data: name == "status" and data["phase"] == phase


async def test_a_reconnecting_client_gets_every_missed_frame_once_in_order(embedded):
    async with httpx.AsyncClient(base_url=embedded.url, timeout=20) as client:
        me = await login(client, embedded.data_dir, "resume@example.com")
        created = await client.post("/api/tasks", json={"prompt": "a blue whale"}, headers=me)
        task_id = created.json()["data"]["id"]
        path = f"/api/tasks/{task_id}/events"
        first = await frames_until(client, path, me, is_status("AWAITING_SELECTION"))
        assert [n for _, n, _ in first[:2]] == ["task:init", "status"]
        assert first[-1][2] == {"phase": "AWAITING_SELECTION", "status": "IMAGE_COMPLETED"}

        # Disconnected: the model is requested and generated meanwhile.
        selected = await client.patch(f"/api/tasks/{task_id}", json={"selectedImageIndex": 1},
                                      headers=me)
        assert selected.status_code == 200, selected.text
        await task_when(client, task_id, me, lambda t: t["status"] == "COMPLETED", timeout=60)

        last_id = first[-1][0]
        missed = await frames_until(client, path, {**me, "last-event-id": last_id},
                                    is_status("COMPLETED"))
    names = [n for _, n, _ in missed]
    assert "task:init" not in names
    epoch, seq = last_id.rsplit("-", 1)
    assert [i for i, _, _ in missed] == [f"{epoch}-{int(seq) + k}" for k in range(1, len(missed) + 1)]
    statuses = [(d["status"], d["phase"]) for _, n, d in missed if n == "status"]
    assert statuses == [("MODEL_PENDING", "MODEL_GENERATION"),
                        ("MODEL_GENERATING", "MODEL_GENERATION"), ("COMPLETED", "COMPLETED")]
    assert names[0] == "task:updated" and missed[0][2]["selectedImageIndex"] == 1
    assert names.count("model:completed") == 1
    assert names.index("model:generating") < names.index("model:completed") < len(names) - 1
    completed = next(d for _, n, d in missed if n == "model:completed")
    assert completed["modelUrl"] and completed["format"]
