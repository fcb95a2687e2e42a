"""The Hunyuan 3D provider against a local fake of the Tencent API and its result CDN."""

import hashlib
import hmac
import io
import json
import re
import zipfile
from datetime import UTC, datetime

import httpx
import numpy as np
import pytest

from lumi_shared.fetch import SafeFetcher
from modeling.mesh import check_mesh, relief_mesh
from modeling.mesh.formats import read_stl, write_mtl, write_obj
from modeling.providers.archive import ArchiveLimits
from modeling.providers.base import ProviderError, ProviderJob
from modeling.providers.hunyuan import HunyuanClient, HunyuanError, HunyuanProvider
from modeling.providers.tc3 import Credentials

SECRET_ID, SECRET_KEY = "AKIDfake", "fake-secret-key"
HOST = "ai3d.tencentcloudapi.com"


def verify_signature(request: httpx.Request) -> None:
    """An independent check of the TC3 signature, as the real API would do it."""
    auth = request.headers["authorization"]
    match = re.fullmatch(r"TC3-HMAC-SHA256 Credential=(\S+?)/(\d{4}-\d{2}-\d{2})/ai3d/"
                         r"tc3_request, SignedHeaders=content-type;host;x-tc-action, "
                         r"Signature=([0-9a-f]{64})", auth)
    assert match and match.group(1) == SECRET_ID
    timestamp = int(request.headers["x-tc-timestamp"])
    date = datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d")
    assert match.group(2) == date
    canonical = "\n".join([
        "POST", "/", "", f"content-type:{request.headers['content-type']}\nhost:{HOST}\n"
        f"x-tc-action:{request.headers['x-tc-action'].lower()}\n",
        "content-type;host;x-tc-action", hashlib.sha256(request.content).hexdigest()])
    to_sign = "\n".join(["TC3-HMAC-SHA256", str(timestamp), f"{date}/ai3d/tc3_request",
                         hashlib.sha256(canonical.encode()).hexdigest()])
    key = ("TC3" + SECRET_KEY).encode()
    for part in (date, "ai3d", "tc3_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    assert hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest() == match.group(3)


def result_zip() -> bytes:
    mesh = relief_mesh(np.random.default_rng(3).random((8, 8)), size_mm=2, base_mm=0.1,
                       relief_mm=0.3)
    yup = mesh.vertices[:, [0, 2, 1]] * [1, 1, -1]
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("job/mesh.obj", write_obj(yup, mesh.faces, mesh.uvs, mtl_name="mesh.mtl"))
        archive.writestr("job/mesh.mtl", write_mtl("texture_0.png"))
        archive.writestr("job/texture_0.png", b"\x89PNG\r\n\x1a\n-texture")
    return out.getvalue()


class FakeTencent:
    """Submit/Query of the rapid 3D API plus a CDN serving the result files."""

    def __init__(self, statuses=("WAIT", "RUN", "DONE"), *, result: bytes | None = None,
                 fail_submit: dict | None = None, error_code: str | None = None):
        self.statuses = list(statuses)
        self.result = result_zip() if result is None else result
        self.fail_submit, self.error_code = fail_submit, error_code
        self.calls: list[tuple[str, dict]] = []

    def api(self, request: httpx.Request) -> httpx.Response:
        assert request.url.host == HOST and request.headers["x-tc-version"] == "2025-05-13"
        assert request.headers["x-tc-region"] == "ap-guangzhou"
        verify_signature(request)
        action, body = request.headers["x-tc-action"], json.loads(request.content)
        self.calls.append((action, body))
        if action == "SubmitHunyuanTo3DRapidJob":
            if self.fail_submit:
                return httpx.Response(200, json={"Response": {"Error": self.fail_submit}})
            return httpx.Response(200, json={"Response": {"JobId": "job-42", "RequestId": "r"}})
        assert action == "QueryHunyuanTo3DRapidJob" and body == {"JobId": "job-42"}
        status = self.statuses.pop(0) if len(self.statuses) > 1 else self.statuses[0]
        answer = {"Status": status, "RequestId": "r"}
        if status == "FAIL":
            answer |= {"ErrorCode": "InvalidImage", "ErrorMessage": "no subject found"}
        if status == "DONE":
            answer["ResultFile3Ds"] = [
                {"Type": "GIF", "Url": "https://cdn.tencentcos.cn/job-42/spin.gif"},
                {"Type": "OBJ", "Url": "https://cdn.tencentcos.cn/job-42/result.zip",
                 "PreviewImageUrl": "https://cdn.tencentcos.cn/job-42/preview.png"}]
        return httpx.Response(200, json={"Response": answer})

    def cdn(self, request: httpx.Request) -> httpx.Response:
        assert request.headers["host"] == "cdn.tencentcos.cn"
        if request.url.path.endswith("result.zip"):
            return httpx.Response(200, content=self.result)
        return httpx.Response(200, content=b"\x89PNG\r\n\x1a\npreview")


class Clock:
    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


class RecordingReporter:
    def __init__(self) -> None:
        self.jobs: list[str] = []
        self.updates: list[tuple[int, str]] = []

    async def submitted(self, provider_job_id: str) -> None:
        self.jobs.append(provider_job_id)

    async def progress(self, progress: int, status: str) -> None:
        self.updates.append((progress, status))


def provider_for(fake: FakeTencent, clock: Clock, **kwargs) -> HunyuanProvider:
    async def resolver(host: str, port: int) -> list[str]:
        return ["93.184.216.34"]

    client = HunyuanClient(credentials=Credentials(SECRET_ID, SECRET_KEY), endpoint=HOST,
                           version="2025-05-13", region="ap-guangzhou",
                           transport=httpx.MockTransport(fake.api))
    fetcher = SafeFetcher(transport=httpx.MockTransport(fake.cdn), resolver=resolver)
    values = {"poll_interval": 2.0, "poll_max_interval": 5.0, "timeout": 60.0,
              "result_hosts": (".tencentcos.cn",), "clock": clock, "sleep": clock.sleep}
    values.update(kwargs)
    return HunyuanProvider(client, fetcher, **values)


def job(resume: str | None = None) -> ProviderJob:
    async def load() -> bytes:
        return b"\x89PNG\r\n\x1a\nsource"

    return ProviderJob(model_id="m1", image_url="https://files.example/images/t/0.png",
                       load_image=load, resume_job_id=resume)


async def test_a_finished_job_gives_renamed_files_counts_and_derived_formats():
    fake, clock, reporter = FakeTencent(), Clock(), RecordingReporter()
    model = await provider_for(fake, clock).generate(job(), reporter)

    submit = fake.calls[0]
    assert submit[0] == "SubmitHunyuanTo3DRapidJob"
    assert submit[1]["ResultFormat"] == "OBJ" and submit[1]["EnablePBR"] is False
    assert submit[1]["ImageBase64"]
    assert reporter.jobs == ["job-42"] and model.provider_job_id == "job-42"
    assert set(model.files) == {"model.obj", "material.mtl", "material.png", "preview.png",
                                "model.stl", "model.glb"}
    assert b"map_Kd material.png" in model.files["material.mtl"]
    assert model.files["model.obj"].startswith(b"mtllib material.mtl")
    assert model.face_count == 2 * 7 * 7 + 3 * 28 and model.vertex_count == 64 + 28 + 1
    vertices, faces = read_stl(model.files["model.stl"])
    assert check_mesh(vertices, faces).printable
    progress = [p for p, _ in reporter.updates]
    assert progress == sorted(progress) and progress[-1] < 100
    assert clock.sleeps == [2.0, 3.0]  # backoff between polls


async def test_the_image_url_is_sent_when_configured_and_a_resumed_job_is_not_resubmitted():
    fake, clock = FakeTencent(), Clock()
    await provider_for(fake, clock, image_input="url").generate(job(), RecordingReporter())
    assert fake.calls[0][1]["ImageUrl"] == "https://files.example/images/t/0.png"
    resumed = FakeTencent(statuses=("DONE",))
    await provider_for(resumed, Clock()).generate(job(resume="job-42"), RecordingReporter())
    assert [c[0] for c in resumed.calls] == ["QueryHunyuanTo3DRapidJob"]


async def test_a_failed_job_raises_a_retryable_provider_error_with_the_reason():
    fake = FakeTencent(statuses=("RUN", "FAIL"))
    with pytest.raises(HunyuanError, match="no subject found") as info:
        await provider_for(fake, Clock()).generate(job(), RecordingReporter())
    assert info.value.retryable


async def test_polling_stops_at_the_overall_timeout():
    fake, clock = FakeTencent(statuses=("RUN",)), Clock()
    with pytest.raises(HunyuanError, match="did not finish") as info:
        await provider_for(fake, clock, timeout=30.0).generate(job(), RecordingReporter())
    assert info.value.retryable and clock.now <= 30.0
    assert max(clock.sleeps) == 5.0  # the interval is capped


async def test_a_broken_result_archive_is_a_provider_error():
    fake = FakeTencent(result=b"PK\x03\x04garbage")
    with pytest.raises(ProviderError, match="broken result archive"):
        await provider_for(fake, Clock()).generate(job(), RecordingReporter())


async def test_an_archive_over_the_limits_is_refused():
    fake = FakeTencent()
    with pytest.raises(ProviderError, match="too many"):
        await provider_for(fake, Clock(), limits=ArchiveLimits(max_entries=2)).generate(
            job(), RecordingReporter())


async def test_a_result_url_off_the_allow_list_is_refused():
    fake = FakeTencent()
    provider = provider_for(fake, Clock(), result_hosts=(".myqcloud.com",))
    with pytest.raises(ProviderError, match="allow-list") as info:
        await provider.generate(job(), RecordingReporter())
    assert not info.value.retryable


async def test_authentication_errors_are_not_retried():
    fake = FakeTencent(fail_submit={"Code": "AuthFailure.SignatureFailure",
                                    "Message": "bad signature"})
    with pytest.raises(HunyuanError) as info:
        await provider_for(fake, Clock()).generate(job(), RecordingReporter())
    assert not info.value.retryable and info.value.code == "AuthFailure.SignatureFailure"


async def test_rate_limits_and_server_errors_are_retryable():
    fake = FakeTencent(fail_submit={"Code": "RequestLimitExceeded", "Message": "slow down"})
    with pytest.raises(HunyuanError) as info:
        await provider_for(fake, Clock()).generate(job(), RecordingReporter())
    assert info.value.retryable

    def down(request: httpx.Request) -> httpx.Response:
        return httpx.Response(502, text="<html>bad gateway</html>")

    client = HunyuanClient(credentials=Credentials(SECRET_ID, SECRET_KEY), endpoint=HOST,
                           version="2025-05-13", region="ap-guangzhou",
                           transport=httpx.MockTransport(down))
    with pytest.raises(HunyuanError, match="HTTP 502") as info:
        await client.call("QueryHunyuanTo3DRapidJob", {"JobId": "x"})
    assert info.value.retryable


async def test_transient_query_errors_are_tolerated_while_polling():
    fake, clock = FakeTencent(statuses=("RUN", "DONE")), Clock()
    original, failures = fake.api, {"left": 2}

    def flaky(request: httpx.Request) -> httpx.Response:
        if request.headers["x-tc-action"].startswith("Query") and failures["left"]:
            failures["left"] -= 1
            return httpx.Response(503)
        return original(request)

    fake.api = flaky
    model = await provider_for(fake, clock).generate(job(), RecordingReporter())
    assert model.face_count


def test_a_large_source_image_is_shrunk_before_the_base64_upload(make_png):
    from PIL import Image

    from modeling.providers.hunyuan import fit_for_upload

    small = make_png()
    assert fit_for_upload(small) is small
    noisy = io.BytesIO()
    Image.effect_noise((2600, 600), 90).convert("RGB").save(noisy, format="PNG")
    shrunk = fit_for_upload(noisy.getvalue(), limit=100_000)
    assert shrunk.startswith(b"\xff\xd8") and max(Image.open(io.BytesIO(shrunk)).size) == 2048
