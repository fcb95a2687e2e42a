"""The Hunyuan provider inside the service: ImageSelected -> fake Tencent -> ModelReady, and
a provider failure -> ModelFailed after the bounded retries."""

import base64
import json

import httpx
import pytest

from lumi_shared.contracts import ModelFailed, ModelGenerating, ModelReady
from lumi_shared.fetch import SafeFetcher
from lumi_shared.testing import running
from modeling.providers.hunyuan import HunyuanClient, HunyuanProvider
from modeling.providers.tc3 import Credentials


def zip_result() -> bytes:
    import io
    import zipfile

    obj = b"v 0 0 0\nv 1 0 0\nv 0 1 0\nv 0 0 1\nf 1 3 2\nf 1 2 4\nf 1 4 3\nf 2 3 4\n"
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("out/tetra.obj", obj)
    return out.getvalue()


@pytest.fixture
def tencent():
    state = {"status": "DONE", "submitted": []}

    def api(request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        if request.headers["x-tc-action"] == "SubmitHunyuanTo3DRapidJob":
            state["submitted"].append(body)
            return httpx.Response(200, json={"Response": {"JobId": "job-7"}})
        answer = {"Status": state["status"], "ErrorMessage": "the model could not be built"}
        if state["status"] == "DONE":
            answer["ResultFile3Ds"] = [{"Type": "OBJ",
                                        "Url": "https://cdn.tencentcos.cn/job-7/out.zip"}]
        return httpx.Response(200, json={"Response": answer})

    def cdn(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=zip_result())

    async def resolver(host: str, port: int) -> list[str]:
        return ["93.184.216.34"]

    client = HunyuanClient(credentials=Credentials("id", "key"),
                           endpoint="ai3d.tencentcloudapi.com", version="2025-05-13",
                           region="ap-guangzhou", transport=httpx.MockTransport(api))
    fetcher = SafeFetcher(transport=httpx.MockTransport(cdn), resolver=resolver)
    state["provider"] = HunyuanProvider(client, fetcher, poll_interval=0.01,
                                        result_hosts=(".tencentcos.cn",))
    return state


async def test_image_selected_with_hunyuan_ends_in_model_ready(
        make_app, bus, recorder, selection, storage, tencent, make_png):
    async with running(make_app(provider=tencent["provider"])):
        event = selection()
        await bus.publish(event)
        ready = await recorder.wait(ModelReady, model_id=event.model_id)
    generating = recorder.of(ModelGenerating, model_id=event.model_id)
    assert generating and generating[0].provider_job_id == "job-7"
    sent = base64.b64decode(tencent["submitted"][0]["ImageBase64"])
    assert sent == make_png()  # the selected image, read from our storage
    assert ready.files.face_count == 4 and ready.files.vertex_count == 4
    assert ready.files.format == "OBJ" and ready.files.obj_url.endswith("/model.obj")
    assert ready.files.mtl_url is None and ready.files.stl_url.endswith("/model.stl")
    assert ready.files.preview_image_url is None
    assert any((storage.root / "models" / event.model_id).glob("*/model.glb"))  # keyed folder


async def test_a_failing_hunyuan_job_ends_in_model_failed(
        make_app, settings, bus, recorder, selection, tencent, models):
    tencent["status"] = "FAIL"
    app = make_app(settings=settings.model_copy(update={"MODEL_MAX_ATTEMPTS": 2}),
                   provider=tencent["provider"])
    async with running(app):
        event = selection()
        await bus.publish(event)
        failed = await recorder.wait(ModelFailed, model_id=event.model_id)
    assert "the model could not be built" in failed.error_message
    assert len(tencent["submitted"]) == 2  # a failed job is resubmitted, not polled again
    doc = await models.find_one({"_id": event.model_id})
    assert doc["job"]["status"] == "FAILED" and doc["job"]["attempts"] == 2
    assert failed.error_message == "Hunyuan job failed: the model could not be built"
