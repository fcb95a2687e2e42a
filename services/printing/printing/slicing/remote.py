"""The HTTP slicer service the old backends called (`POST /api/v1/tasks/`, `GET
/api/v1/tasks/{id}`; statuses PENDING, FETCHING, PROCESSING, COMPLETED, FAILED, CANCELLED).
The service fetches the model from its public URL; the G-code comes back through
`gcode_download_url`, downloaded with the SSRF-safe fetcher."""

import asyncio
import time
from typing import Any
from urllib.parse import quote

import httpx

from .base import SliceError, SliceSource
from .profile import PrintProfile

RUNNING = {"PENDING", "FETCHING", "PROCESSING"}


class HttpSlicer:
    name = "slicer-service"

    def __init__(self, base_url: str, *, fetcher: Any, poll_interval: float = 2.0,
                 request_timeout: float = 10.0, max_bytes: int = 200 * 1024 * 1024,
                 client: httpx.AsyncClient | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        self.fetcher, self.poll_interval, self.max_bytes = fetcher, poll_interval, max_bytes
        self.client = client or httpx.AsyncClient(timeout=request_timeout)

    async def _call(self, method: str, path: str, **kw: Any) -> dict[str, Any]:
        try:
            response = await self.client.request(method, self.base_url + path, **kw)
        except httpx.TimeoutException:
            raise SliceError("the slicer service did not answer in time", retryable=True) from None
        except httpx.HTTPError as exc:
            raise SliceError(f"the slicer service is unreachable ({type(exc).__name__})",
                             retryable=True) from None
        if response.status_code >= 500:
            raise SliceError(f"the slicer service failed (HTTP {response.status_code})",
                             retryable=True)
        if response.status_code >= 400:
            raise SliceError(f"the slicer service refused the task (HTTP {response.status_code})")
        try:
            body = response.json()
        except ValueError:
            raise SliceError("the slicer service sent a malformed answer") from None
        if not isinstance(body, dict):
            raise SliceError("the slicer service sent a malformed answer")
        return body.get("data", body) if isinstance(body.get("data"), dict) else body

    async def slice(self, source: SliceSource, profile: PrintProfile, *, timeout: float) -> str:
        deadline = time.monotonic() + timeout
        created = await self._call("POST", "/api/v1/tasks/", json={
            "object_url": source.url, "file_name": f"{source.model_id}.{source.file_type}",
            "task_info": {"model_source": "ai_created", "profile": profile.name,
                          "layer_height": profile.layer_height,
                          "nozzle_diameter": profile.nozzle_diameter}})
        task_id = created.get("slice_task_id") or created.get("id")
        if not isinstance(task_id, str) or not task_id:
            raise SliceError("the slicer service returned no task id")
        while True:
            task = await self._call("GET", f"/api/v1/tasks/{quote(task_id, safe='')}")
            status = str(task.get("status", "")).upper()
            if status == "COMPLETED":
                url = task.get("gcode_download_url")
                if not url:
                    raise SliceError("the slicer service finished without a G-code URL")
                data = await self.fetcher.fetch(url, max_bytes=self.max_bytes)
                return data.decode("utf-8", errors="replace")
            if status == "FAILED":
                raise SliceError(str(task.get("error_message") or "the slicer service failed")[:300])
            if status == "CANCELLED":
                raise SliceError("the slicing task was cancelled by the slicer service")
            if status not in RUNNING:
                raise SliceError(f"the slicer service reported an unknown status {status!r}")
            if time.monotonic() >= deadline:
                raise SliceError(f"the slicer service did not finish within {timeout:.0f} s")
            await asyncio.sleep(self.poll_interval)
