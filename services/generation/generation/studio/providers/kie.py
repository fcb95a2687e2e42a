"""KieAI-style task API: `POST /api/v1/jobs/createTask` ({model, callBackUrl, input}) answers
`{code: 200, data: {taskId}}`; `GET /api/v1/jobs/recordInfo?taskId=` and the callback carry
`{taskId, state, resultJson: "{\"resultUrls\": [...]}", failMsg}`; GPT-4o style callbacks
carry `{code, msg, data: {taskId, info: {result_urls}}}`.

Task creation is never retried here: a repeated POST could start a second paid task (the
reconciler settles whatever the first one did).
"""

import json
from dataclasses import dataclass, field
from typing import Any, Literal

import httpx

from ...providers.base import ProviderError, call, json_body, status_error

RUNNING_STATES = frozenset({"waiting", "queuing", "generating", "pending", "running"})
NAME = "KieAI"


@dataclass(frozen=True)
class ProviderTask:
    task_id: str
    state: Literal["running", "success", "fail"]
    urls: list[str] = field(default_factory=list)
    error: str = ""
    progress: int | None = None


def _urls(value: Any) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(u, str) for u in value):
        raise ValueError("result URLs must be a list of strings")
    return value


def parse_record(payload: dict[str, Any]) -> ProviderTask:
    """A callback body or a recordInfo answer -> ProviderTask; ValueError when malformed."""
    data = payload.get("data")
    if not isinstance(data, dict) or not isinstance(data.get("taskId"), str) or not data["taskId"]:
        raise ValueError("missing data.taskId")
    task_id = data["taskId"][:200]
    if "state" not in data:
        info = data.get("info") or {}
        if payload.get("code") == 200 and isinstance(info, dict) and info.get("result_urls"):
            return ProviderTask(task_id, "success", _urls(info["result_urls"]))
        return ProviderTask(task_id, "fail", error=str(payload.get("msg") or "failed")[:500])
    state = str(data["state"]).lower()
    progress = data.get("progress")
    progress = int(progress) if isinstance(progress, int | float) else None
    if state in RUNNING_STATES:
        return ProviderTask(task_id, "running", progress=progress)
    if state == "success":
        result = data.get("resultJson")
        parsed = json.loads(result) if isinstance(result, str) else result
        if not isinstance(parsed, dict):
            raise ValueError("resultJson must hold an object")
        urls = _urls(parsed.get("resultUrls"))
        if not urls:
            raise ValueError("a success needs result URLs")
        return ProviderTask(task_id, "success", urls)
    if state == "fail":
        return ProviderTask(task_id, "fail", error=str(data.get("failMsg") or "failed")[:500])
    raise ValueError(f"unknown state {state[:40]!r}")


class KieProvider:
    name = NAME

    def __init__(self, *, base_url: str, api_key: str, timeout: float = 30.0,
                 transport: httpx.AsyncBaseTransport | None = None) -> None:
        self.http = httpx.AsyncClient(base_url=base_url.rstrip("/"), timeout=timeout,
                                      transport=transport, trust_env=False,
                                      headers={"Authorization": f"Bearer {api_key}"})

    async def create_task(self, *, model: str, prompt: str, aspect_ratio: str, count: int,
                          reference_urls: list[str], callback_url: str) -> str:
        body: dict[str, Any] = {"model": model, "callBackUrl": callback_url, "input": {
            "prompt": prompt, "image_size": aspect_ratio, "output_format": "png",
            "max_images": count}}
        if reference_urls:
            body["input"]["image_urls"] = reference_urls
        response = await call(NAME, self.http.post("/api/v1/jobs/createTask", json=body))
        if response.status_code != 200:
            raise status_error(NAME, response)
        answer = json_body(NAME, response)
        task_id = (answer.get("data") or {}).get("taskId") if isinstance(answer.get("data"), dict) else None
        if answer.get("code") != 200 or not isinstance(task_id, str) or not task_id:
            message = str(answer.get("msg") or answer.get("message") or "no task id")[:200]
            raise ProviderError(f"{NAME} refused the task: {message}", retryable=False)
        return task_id

    async def query_task(self, task_id: str) -> ProviderTask:
        response = await call(NAME, self.http.get("/api/v1/jobs/recordInfo",
                                                  params={"taskId": task_id}))
        if response.status_code != 200:
            raise status_error(NAME, response)
        answer = json_body(NAME, response)
        if answer.get("code") != 200:
            raise ProviderError(f"{NAME} could not report the task", retryable=True)
        try:
            return parse_record(answer)
        except ValueError as exc:
            raise ProviderError(f"{NAME} returned a malformed record ({exc})") from None

    async def aclose(self) -> None:
        await self.http.aclose()
