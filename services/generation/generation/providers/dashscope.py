"""Images from Aliyun DashScope's asynchronous task API: submit with `X-DashScope-Async`,
poll `GET /api/v1/tasks/{id}` until SUCCEEDED or FAILED, then download the result URL."""

import asyncio

import httpx

from .base import ProviderError, call, json_body, status_error
from .fetch import GuardedFetcher

NAME = "Image provider"
SUBMIT_PATH = "/api/v1/services/aigc/text2image/image-synthesis"
FINAL_FAILURES = ("FAILED", "CANCELED", "UNKNOWN")
NOT_RETRYABLE = ("DataInspectionFailed", "InvalidParameter")


class DashScopeImageProvider:
    name = "dashscope"

    def __init__(self, *, base_url: str, api_key: str, model: str, fetcher: GuardedFetcher,
                 image_size: str = "1328*1328", poll_interval: float = 3.0,
                 poll_timeout: float = 120.0, timeout: float = 30.0,
                 transport: httpx.AsyncBaseTransport | None = None) -> None:
        self.model, self.image_size, self.fetcher = model, image_size, fetcher
        self.poll_interval, self.poll_timeout = poll_interval, poll_timeout
        self.http = httpx.AsyncClient(base_url=base_url.rstrip("/"), timeout=timeout,
                                      transport=transport, follow_redirects=False,
                                      headers={"Authorization": f"Bearer {api_key}"})

    async def _submit(self, prompt: str, seed: int) -> str:
        body = {"model": self.model, "input": {"prompt": prompt},
                "parameters": {"size": self.image_size, "n": 1, "seed": seed,
                               "prompt_extend": True, "watermark": False,
                               "negative_prompt": ""}}
        response = await call(NAME, self.http.post(
            SUBMIT_PATH, json=body, headers={"X-DashScope-Async": "enable"}))
        if response.status_code != 200:
            raise status_error(NAME, response)
        task_id = (json_body(NAME, response).get("output") or {}).get("task_id")
        if not isinstance(task_id, str) or not task_id or "/" in task_id:
            raise ProviderError(f"{NAME} returned no task id")
        return task_id

    async def _poll(self, task_id: str) -> str:
        async with asyncio.timeout(self.poll_timeout):
            while True:
                response = await call(NAME, self.http.get(f"/api/v1/tasks/{task_id}"))
                if response.status_code != 200:
                    raise status_error(NAME, response)
                output = json_body(NAME, response).get("output")
                if not isinstance(output, dict):
                    raise ProviderError(f"{NAME} returned a malformed answer")
                status = output.get("task_status")
                if status == "SUCCEEDED":
                    results = output.get("results")
                    url = results[0].get("url") if isinstance(results, list) and results \
                        and isinstance(results[0], dict) else None
                    if not isinstance(url, str):
                        raise ProviderError(f"{NAME} returned no image URL")
                    return url
                if status in FINAL_FAILURES:
                    code = "".join(c for c in str(output.get("code") or status)[:64]
                                   if c.isalnum() or c in "._-")
                    raise ProviderError(f"{NAME} failed the job ({code})",
                                        retryable=code not in NOT_RETRYABLE)
                await asyncio.sleep(self.poll_interval)

    async def generate(self, prompt: str, *, seed: int) -> bytes:
        task_id = await self._submit(prompt, seed)
        try:
            url = await self._poll(task_id)
        except TimeoutError:
            raise ProviderError(f"{NAME} did not finish in time") from None
        return await self.fetcher.fetch(url)

    async def aclose(self) -> None:
        await self.http.aclose()
