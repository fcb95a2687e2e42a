"""ImageSelected -> model + job -> simulated provider -> files -> ModelReady, end to end
on the in-process bus and store."""

import io

import numpy as np
import trimesh

from lumi_shared.contracts import ModelGenerating, ModelProgressed, ModelReady
from lumi_shared.testing import as_user, wait_for
from modeling.mesh import check_mesh
from modeling.mesh.formats import read_stl
from modeling.mesh.glb import read_glb


def _key(ready: ModelReady, name: str) -> str:
    """The storage key of one of the model's files (next to its GLB)."""
    return "models/" + ready.files.glb_url.split("/models/", 1)[1].rsplit("/", 1)[0] + "/" + name


async def test_image_selected_leads_to_model_ready_with_stored_files(
        client, bus, recorder, selection, storage, models):
    event = selection()
    await bus.publish(event)
    ready = await recorder.wait(ModelReady, model_id=event.model_id, timeout=15)

    assert ready.task_id == event.task_id and ready.user_id == event.user_id
    files = ready.files
    assert files.format == "OBJ" and files.model_url == files.obj_url  # the default setting
    doc = await models.find_one({"_id": event.model_id})
    # issue 13: the files sit under the model's unguessable key
    base = f"{storage.public_base_url}/models/{event.model_id}/{doc['file_key']}/"
    assert files.glb_url == base + "model.glb" and files.stl_url == base + "model.stl"
    assert files.obj_url == base + "model.obj" and files.mtl_url == base + "material.mtl"
    assert files.texture_url == base + "material.png"
    assert files.preview_image_url == base + "preview.png"
    assert files.face_count > 1000 and files.vertex_count > 500
    obj = await storage.get(_key(ready, "model.obj"))
    assert files.file_size == len(obj)
    assert ready.name == "A small red robot holding a..." and len(ready.name) <= 30
    assert ready.visibility == "PUBLIC" and ready.published_at is not None

    doc = await models.find_one({"_id": event.model_id})
    assert doc["job"]["status"] == "COMPLETED" and doc["job"]["progress"] == 100
    assert doc["outbox"] == [] or await wait_for(
        lambda: models.find_one({"_id": event.model_id, "outbox.0": {"$exists": False}}))


async def test_progress_events_come_between_generating_and_ready_with_growing_versions(
        client, bus, recorder, selection):
    event = selection()
    await bus.publish(event)
    await recorder.wait(ModelReady, model_id=event.model_id, timeout=15)

    mine = sorted((e for e in recorder.events if e.routing_key.startswith("model.")
                   and e.model_id == event.model_id), key=lambda e: e.version)
    kinds = [type(e) for e in mine]
    assert kinds[0] is ModelGenerating and kinds[-1] is ModelReady
    progress = [e.progress for e in mine if isinstance(e, ModelProgressed)]
    assert len(progress) >= 3 and progress == sorted(progress)
    assert 0 <= progress[0] and progress[-1] < 100
    assert len({e.version for e in mine}) == len(mine)


async def test_stored_obj_stl_and_glb_are_closed_solids_with_positive_volume(
        client, bus, recorder, selection, storage, tmp_path):
    event = selection()
    await bus.publish(event)
    ready = await recorder.wait(ModelReady, model_id=event.model_id, timeout=15)
    folder = tmp_path / "download"
    folder.mkdir()
    for name in ("model.obj", "material.mtl", "material.png", "model.stl", "model.glb"):
        (folder / name).write_bytes(await storage.get(_key(ready, name)))

    for name in ("model.obj", "model.stl", "model.glb"):
        mesh = trimesh.load(folder / name, force="mesh")
        assert mesh.is_watertight, name
        assert mesh.is_winding_consistent, name
        assert mesh.volume > 0, name

    vertices, faces = read_stl((folder / "model.stl").read_bytes())
    report = check_mesh(vertices, faces)
    assert report.closed and report.oriented and report.volume > 0
    doc, binary = read_glb((folder / "model.glb").read_bytes())
    assert doc["asset"]["version"] == "2.0"
    assert set(doc["meshes"][0]["primitives"][0]["attributes"]) == {
        "POSITION", "NORMAL", "TEXCOORD_0"}
    assert doc["images"][0]["mimeType"] == "image/png"
    obj_text = (folder / "model.obj").read_text()
    assert obj_text.count("\nf ") + obj_text.startswith("f ") == len(faces)
    assert "map_Kd material.png" in (folder / "material.mtl").read_text()
    # display formats: Y-up, centred, longest side 2 units (about +-1); the STL stays in mm
    stl_extent = np.ptp(vertices, axis=0)
    assert np.isclose(stl_extent.max(), 80.0)
    scale = 2.0 / stl_extent.max()
    for name in ("model.obj", "model.glb"):
        shown = trimesh.load(folder / name, force="mesh")
        lo, hi = shown.bounds
        assert np.isclose((hi - lo).max(), 2.0, atol=1e-3), name
        assert np.allclose((hi + lo) / 2, 0, atol=1e-3), name
        assert np.isclose(hi[1] - lo[1], stl_extent[2] * scale, atol=1e-3), name  # z-up -> y-up
        assert np.isclose(shown.volume, report.volume * scale ** 3, rtol=1e-3), name


async def test_a_duplicated_image_selected_never_creates_a_second_model(
        client, bus, recorder, selection, models):
    event = selection()
    await bus.publish(event)
    await bus.publish(event)  # redelivery: same event id
    again = selection(task_id=event.task_id, model_id=event.model_id)
    await bus.publish(again)  # duplicate: new event id, same model
    other_id = selection(task_id=event.task_id)
    await bus.publish(other_id)  # same task, another model id: one model per task
    await recorder.wait(ModelReady, model_id=event.model_id, timeout=15)
    await bus.drain()

    assert await models.count_documents({"task_id": event.task_id}) == 1
    assert await models.count_documents({"_id": other_id.model_id}) == 0
    assert len(recorder.of(ModelReady, task_id=event.task_id)) == 1


async def test_a_duplicate_after_completion_changes_nothing(
        client, bus, recorder, selection, models):
    event = selection()
    await bus.publish(event)
    await recorder.wait(ModelReady, model_id=event.model_id, timeout=15)
    before = await models.find_one({"_id": event.model_id})
    await bus.publish(selection(task_id=event.task_id, model_id=event.model_id))
    await bus.drain()
    after = await models.find_one({"_id": event.model_id})
    assert after["version"] == before["version"] and after["job"] == before["job"]


async def test_the_new_model_is_listed_for_its_owner_while_it_is_generated(
        client, bus, recorder, selection):
    event = selection()
    await bus.publish(event)
    await bus.drain()
    page = (await client.get("/api/users/models", headers=as_user("user-1"))).json()["data"]
    assert [m["id"] for m in page["items"]] == [event.model_id]
    item = page["items"][0]
    assert item["requestId"] == event.task_id and item["sourceImageId"] == event.image_id
    assert item["generationJob"]["status"] in ("PENDING", "RUNNING", "COMPLETED")
    await recorder.wait(ModelReady, model_id=event.model_id, timeout=15)


async def test_the_default_format_setting_obj_makes_the_obj_the_model_url(
        make_app, bus, recorder, selection, settings):
    app = make_app(settings=settings.model_copy(update={"MODEL_DEFAULT_FORMAT": "OBJ"}))
    from lumi_shared.testing import running

    async with running(app):
        event = selection()
        await bus.publish(event)
        ready = await recorder.wait(ModelReady, model_id=event.model_id, timeout=15)
    assert ready.files.format == "OBJ" and ready.files.model_url == ready.files.obj_url
    assert ready.files.glb_url and ready.files.stl_url


async def test_a_large_jpeg_source_is_downsampled_and_still_gives_a_closed_mesh(
        client, bus, recorder, selection, storage):
    from PIL import Image

    image = Image.effect_noise((1500, 900), 60).convert("RGB")
    out = io.BytesIO()
    image.save(out, format="JPEG")
    url = await storage.put("images/big/0.jpg", out.getvalue(), "image/jpeg")
    event = selection(image_url=url)
    await bus.publish(event)
    ready = await recorder.wait(ModelReady, model_id=event.model_id, timeout=15)
    vertices, faces = read_stl(await storage.get(_key(ready, "model.stl")))
    assert check_mesh(vertices, faces).printable
    assert ready.files.face_count == len(faces)
