"""The simulated image provider of embedded mode: a KieAI-compatible task API served by the
generation service itself under `/sim/kie` (only when STUDIO_PROVIDER=simulated), so the
KieAI adapter, the signed webhook and the result download all run over real HTTP.

After `delay` seconds a task renders its action-figure pictures (Pillow), serves them under
`/sim/kie/files/...` and POSTs a Standard-Webhooks-signed callback to the task's callback URL
(3 attempts). A prompt containing `[simulate-failure]` makes the task fail instead.
"""

import asyncio
import json
import uuid
from collections import OrderedDict
from typing import Any

import httpx
import structlog
from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse

from .. import webhooks
from .figures import render_figure, size_for_ratio, style_for_prompt

log = structlog.get_logger("lumi.generation.simulated_kie")
FAILURE_MARK = "[simulate-failure]"
MAX_TASKS = 500
PREFIX = "/sim/kie"


class SimulatedKie:
    def __init__(self, *, public_url: str, secret: str, delay: float = 2.0,
                 image_width: int = 384) -> None:
        self.public_url = public_url.rstrip("/")
        self.secret, self.delay, self.image_width = secret, delay, image_width
        self.tasks: OrderedDict[str, dict[str, Any]] = OrderedDict()
        self.files: dict[str, bytes] = {}
        self._running: set[asyncio.Task] = set()
        self.http = httpx.AsyncClient(timeout=10.0, trust_env=False)

    def _remember(self, task_id: str, record: dict[str, Any]) -> None:
        self.tasks[task_id] = record
        while len(self.tasks) > MAX_TASKS:
            old, _ = self.tasks.popitem(last=False)
            for key in [k for k in self.files if k.startswith(f"{old}/")]:
                del self.files[key]

    def create(self, body: dict[str, Any]) -> str:
        task_id = uuid.uuid4().hex
        inputs = body.get("input") or {}
        self._remember(task_id, {"taskId": task_id, "state": "waiting", "model": body.get("model"),
                                 "resultJson": None, "failMsg": None})
        job = asyncio.get_running_loop().create_task(self._work(
            task_id, str(inputs.get("prompt", "")), str(inputs.get("image_size", "1:1")),
            max(1, min(int(inputs.get("max_images") or 1), 4)), str(body.get("callBackUrl", ""))))
        self._running.add(job)
        job.add_done_callback(self._running.discard)
        return task_id

    async def _work(self, task_id: str, prompt: str, ratio: str, count: int, callback: str) -> None:
        await asyncio.sleep(self.delay)
        record = self.tasks.get(task_id)
        if record is None:
            return
        if FAILURE_MARK in prompt:
            record.update(state="fail", failMsg="Simulated provider failure")
        else:
            size, style = size_for_ratio(ratio, self.image_width), style_for_prompt(prompt)
            urls = []
            for i in range(count):
                data = await asyncio.to_thread(render_figure, style, f"{prompt}|{task_id}|{i}", size)
                self.files[f"{task_id}/{i}.png"] = data
                urls.append(f"{self.public_url}{PREFIX}/files/{task_id}/{i}.png")
            record.update(state="success", resultJson=json.dumps({"resultUrls": urls}))
        if callback:
            await self._call_back(callback, record)

    async def _call_back(self, url: str, record: dict[str, Any]) -> None:
        body = json.dumps({"code": 200, "msg": "ok", "data": record}).encode()
        msg_id = f"msg_{uuid.uuid4().hex}"
        for attempt in range(3):
            headers = webhooks.signed_headers(self.secret, msg_id, body)
            try:
                response = await self.http.post(url, content=body, headers=headers)
                if response.status_code < 500:
                    log.info("simulated_callback_sent", task_id=record["taskId"],
                             status=response.status_code)
                    return
            except httpx.HTTPError as exc:
                log.warning("simulated_callback_failed", error=type(exc).__name__)
            await asyncio.sleep(1.0 * (attempt + 1))

    async def aclose(self) -> None:
        for job in list(self._running):
            job.cancel()
        await asyncio.gather(*self._running, return_exceptions=True)
        await self.http.aclose()


def simulated_router(sim: SimulatedKie) -> APIRouter:
    router = APIRouter(prefix=PREFIX, include_in_schema=False)

    @router.post("/api/v1/jobs/createTask")
    async def create_task(request: Request) -> JSONResponse:
        if not request.headers.get("authorization", "").startswith("Bearer "):
            return JSONResponse({"code": 401, "msg": "missing API key"}, status_code=401)
        try:
            body = await request.json()
        except ValueError:
            return JSONResponse({"code": 400, "msg": "malformed JSON"}, status_code=400)
        if not isinstance(body, dict) or not (body.get("input") or {}).get("prompt"):
            return JSONResponse({"code": 422, "msg": "input.prompt is required"})
        return JSONResponse({"code": 200, "msg": "success", "data": {"taskId": sim.create(body)}})

    @router.get("/api/v1/jobs/recordInfo")
    async def record_info(taskId: str = "") -> JSONResponse:  # noqa: N803 (KieAI's name)
        record = sim.tasks.get(taskId)
        if record is None:
            return JSONResponse({"code": 404, "msg": "task not found"})
        return JSONResponse({"code": 200, "msg": "success", "data": record})

    @router.get("/files/{task_id}/{name}")
    async def result_file(task_id: str, name: str) -> Response:
        data = sim.files.get(f"{task_id}/{name}")
        if data is None:
            return Response(status_code=404)
        return Response(data, media_type="image/png")

    return router
