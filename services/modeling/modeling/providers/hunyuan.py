"""Tencent Hunyuan 3D (rapid) provider: submit, poll with backoff under an overall timeout,
download the result (SSRF-safe fetcher, size-capped), unpack it safely, and derive STL/GLB.

API: `SubmitHunyuanTo3DRapidJob {ImageBase64|ImageUrl, ResultFormat, EnablePBR}` -> JobId;
`QueryHunyuanTo3DRapidJob {JobId}` -> Status WAIT|RUN|DONE|FAIL, ResultFile3Ds[{Type, Url,
PreviewImageUrl}], ErrorCode, ErrorMessage (ai3d.tencentcloudapi.com, version 2025-05-13).
"""

import asyncio
import base64
import io
import json
import time
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import structlog

from lumi_shared.fetch import FetchError

from ..artifacts import complete_from_obj, open_image
from ..fetch import is_image
from . import tc3
from .archive import ArchiveLimits, extract_model_archive, is_zip
from .base import GeneratedModel, JobReporter, ProviderError, ProviderJob

log = structlog.get_logger("modeling.hunyuan")
SERVICE = "ai3d"
PERMANENT_PREFIXES = ("AuthFailure", "InvalidParameter", "MissingParameter",
                      "UnauthorizedOperation", "UnsupportedOperation", "UnknownParameter",
                      "InvalidAction")
MAX_QUERY_ERRORS = 5


MAX_BASE64_SOURCE = 6 * 1024 * 1024  # the API caps ImageBase64 at a few MB


def fit_for_upload(data: bytes, limit: int = MAX_BASE64_SOURCE) -> bytes:
    """The image as is when small enough, else re-encoded as a JPEG of at most 2048 px."""
    if len(data) <= limit:
        return data
    image = open_image(data).convert("RGB")
    image.thumbnail((2048, 2048))
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=90)
    return out.getvalue()


class HunyuanError(ProviderError):
    def __init__(self, message: str, *, code: str = "", retryable: bool = True) -> None:
        super().__init__(message, retryable=retryable)
        self.code = code


class HunyuanClient:
    def __init__(self, *, credentials: tc3.Credentials, endpoint: str, version: str,
                 region: str | None, timeout: float = 15.0,
                 transport: httpx.AsyncBaseTransport | None = None,
                 clock: Callable[[], float] = time.time) -> None:
        self.credentials, self.endpoint = credentials, endpoint
        self.version, self.region, self.clock = version, region, clock
        self.http = httpx.AsyncClient(base_url=f"https://{endpoint}", timeout=timeout,
                                      transport=transport, trust_env=False)

    async def call(self, action: str, params: dict[str, Any]) -> dict[str, Any]:
        payload = json.dumps(params, separators=(",", ":")).encode()
        headers = tc3.sign(credentials=self.credentials, host=self.endpoint, service=SERVICE,
                           action=action, version=self.version, region=self.region,
                           payload=payload, timestamp=int(self.clock()))
        try:
            response = await self.http.post("/", content=payload, headers=headers)
        except httpx.HTTPError as exc:
            raise HunyuanError(f"{action} request failed: {type(exc).__name__}") from None
        if response.status_code >= 500 or response.status_code == 429:
            raise HunyuanError(f"{action} answered HTTP {response.status_code}")
        try:
            body = response.json()["Response"]
        except (ValueError, KeyError, TypeError):
            raise HunyuanError(f"{action} answered an unreadable body "
                               f"(HTTP {response.status_code})") from None
        error = body.get("Error")
        if error:
            code = str(error.get("Code") or "")
            raise HunyuanError(f"Hunyuan {action} error {code}: {error.get('Message', '')}",
                               code=code, retryable=not code.startswith(PERMANENT_PREFIXES))
        return body

    async def aclose(self) -> None:
        await self.http.aclose()


class HunyuanProvider:
    name = "hunyuan"

    def __init__(self, client: HunyuanClient, fetcher: Any, *, image_input: str = "base64",
                 poll_interval: float = 3.0, poll_max_interval: float = 15.0,
                 timeout: float = 600.0, result_hosts: tuple[str, ...] = (),
                 result_max_bytes: int = 100 * 1024 * 1024,
                 limits: ArchiveLimits = ArchiveLimits(), print_size_mm: float = 80.0,
                 clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], Awaitable[None]] = asyncio.sleep) -> None:
        self.client, self.fetcher = client, fetcher
        self.image_input = image_input
        self.poll_interval, self.poll_max_interval = poll_interval, poll_max_interval
        self.timeout, self.result_hosts = timeout, result_hosts
        self.result_max_bytes, self.limits = result_max_bytes, limits
        self.print_size_mm, self.clock, self.sleep = print_size_mm, clock, sleep

    @classmethod
    def from_settings(cls, settings: Any, *, fetcher: Any,
                      transport: httpx.AsyncBaseTransport | None = None) -> "HunyuanProvider":
        client = HunyuanClient(
            credentials=tc3.Credentials(settings.TENCENTCLOUD_SECRET_ID,
                                        settings.TENCENTCLOUD_SECRET_KEY),
            endpoint=settings.HUNYUAN_ENDPOINT, version=settings.HUNYUAN_VERSION,
            region=settings.TENCENTCLOUD_REGION, timeout=settings.HUNYUAN_REQUEST_TIMEOUT,
            transport=transport)
        return cls(client, fetcher, image_input=settings.HUNYUAN_IMAGE_INPUT,
                   poll_interval=settings.HUNYUAN_POLL_INTERVAL,
                   poll_max_interval=settings.HUNYUAN_POLL_MAX_INTERVAL,
                   timeout=settings.HUNYUAN_TIMEOUT,
                   result_hosts=settings.host_list(settings.HUNYUAN_RESULT_HOSTS),
                   result_max_bytes=settings.HUNYUAN_RESULT_MAX_BYTES,
                   limits=ArchiveLimits(max_entries=settings.HUNYUAN_ZIP_MAX_ENTRIES,
                                        max_total=settings.HUNYUAN_ZIP_MAX_TOTAL_BYTES),
                   print_size_mm=settings.MODEL_SIM_SIZE_MM)

    async def generate(self, job: ProviderJob, reporter: JobReporter) -> GeneratedModel:
        job_id = job.resume_job_id or await self._submit(job)
        await reporter.submitted(job_id)
        await reporter.progress(10, "WAIT")
        result = await self._poll(job_id, reporter)
        files = await self._download(result)
        model = GeneratedModel(files=files, provider_job_id=job_id)
        await reporter.progress(92, "RUN")
        return await asyncio.to_thread(complete_from_obj, model,
                                       print_size_mm=self.print_size_mm)

    async def _submit(self, job: ProviderJob) -> str:
        params: dict[str, Any] = {"ResultFormat": "OBJ", "EnablePBR": False}
        if self.image_input == "url":
            params["ImageUrl"] = job.image_url
        else:
            image = await asyncio.to_thread(fit_for_upload, await job.load_image())
            params["ImageBase64"] = base64.b64encode(image).decode()
        body = await self.client.call("SubmitHunyuanTo3DRapidJob", params)
        job_id = body.get("JobId")
        if not isinstance(job_id, str) or not job_id:
            raise HunyuanError("Hunyuan submit answered without a JobId")
        log.info("hunyuan_job_submitted", model_id=job.model_id, provider_job_id=job_id)
        return job_id

    async def _poll(self, job_id: str, reporter: JobReporter) -> dict[str, Any]:
        started = self.clock()
        interval, errors = self.poll_interval, 0
        while True:
            try:
                body = await self.client.call("QueryHunyuanTo3DRapidJob", {"JobId": job_id})
                errors = 0
            except HunyuanError as exc:
                errors += 1
                if not exc.retryable or errors >= MAX_QUERY_ERRORS:
                    raise
                body = None
            if body is not None:
                status = str(body.get("Status") or "").upper()
                if status == "DONE":
                    return body
                if status == "FAIL":
                    reason = " ".join(str(body.get(k)) for k in ("ErrorCode", "ErrorMessage")
                                      if body.get(k))
                    raise HunyuanError(f"Hunyuan job failed: {reason or 'no reason given'}")
                elapsed = self.clock() - started
                progress = 10 if status == "WAIT" else min(90, 20 + int(70 * elapsed / (elapsed + 60)))
                await reporter.progress(progress, status or "WAIT")
            if self.clock() - started + interval > self.timeout:
                raise HunyuanError(f"Hunyuan job {job_id} did not finish within "
                                   f"{self.timeout:.0f}s")
            await self.sleep(interval)
            interval = min(interval * 1.5, self.poll_max_interval)

    async def _fetch(self, url: str) -> bytes:
        try:
            return await self.fetcher.fetch(url, max_bytes=self.result_max_bytes,
                                            allowed_hosts=self.result_hosts)
        except FetchError as exc:
            raise HunyuanError(f"result download failed: {exc}",
                               retryable=exc.retryable) from None

    async def _download(self, result: dict[str, Any]) -> dict[str, bytes]:
        entries = [f for f in result.get("ResultFile3Ds") or [] if isinstance(f, dict)]
        chosen = next((f for f in entries if str(f.get("Type", "")).upper() == "OBJ"),
                      entries[0] if entries else None)
        if not chosen or not chosen.get("Url"):
            raise HunyuanError("Hunyuan job finished without a result file")
        data = await self._fetch(str(chosen["Url"]))
        if is_zip(data):
            files = await asyncio.to_thread(extract_model_archive, data, self.limits)
        elif b"\nv " in data[:65536] or data.startswith(b"v "):
            files = {"model.obj": data}
        else:
            raise HunyuanError("Hunyuan result is neither a ZIP archive nor an OBJ model")
        preview_url = chosen.get("PreviewImageUrl")
        if preview_url:
            try:
                preview = await self._fetch(str(preview_url))
                if is_image(preview):
                    ext = "jpg" if preview.startswith(b"\xff\xd8") else "png"
                    files[f"preview.{ext}"] = preview
            except ProviderError as exc:  # the preview is optional
                log.warning("hunyuan_preview_failed", error=str(exc))
        return files
