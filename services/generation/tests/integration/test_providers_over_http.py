"""The real provider adapters in the running service, against fake provider servers on
127.0.0.1 (real sockets via uvicorn); result downloads go through the guarded fetcher."""

import asyncio
import json
from contextlib import asynccontextmanager

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from generation.providers.simulated import render
from lumi_shared.testing import wait_for

PICTURE = render("served by the fake provider", 1, 64)


@asynccontextmanager
async def serve(routes):
    server = uvicorn.Server(uvicorn.Config(Starlette(routes=routes), host="127.0.0.1", port=0,
                                           log_level="warning", lifespan="off"))
    task = asyncio.create_task(server.serve())
    await wait_for(lambda: server.started, timeout=10)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


def fake_provider(state: dict):
    async def chat(request: Request):
        state.setdefault("chat", []).append(await request.json())
        content = json.dumps({"variants": [f"style {i}" for i in range(4)]})
        return JSONResponse({"choices": [{"message": {"content": content}}]})

    async def images(request: Request):
        body = await request.json()
        state.setdefault("images", []).append(body)
        if state.get("fail_images"):
            return JSONResponse({"message": "overloaded"}, status_code=503)
        return JSONResponse({"images": [{"url": f"{state['base']}/files/{len(state['images'])}.png"}]})

    async def submit(request: Request):
        state.setdefault("submits", []).append(request.headers.get("x-dashscope-async"))
        return JSONResponse({"output": {"task_id": f"job-{len(state['submits'])}",
                                        "task_status": "PENDING"}})

    async def poll(request: Request):
        job = request.path_params["job"]
        count = state.setdefault("polls", {}).get(job, 0) + 1
        state["polls"][job] = count
        if count < 2:
            return JSONResponse({"output": {"task_id": job, "task_status": "RUNNING"}})
        return JSONResponse({"output": {"task_id": job, "task_status": "SUCCEEDED",
                                        "results": [{"url": f"{state['base']}/files/{job}.png"}]}})

    async def files(request: Request):
        return Response(PICTURE, media_type="image/png")

    return [Route("/v1/chat/completions", chat, methods=["POST"]),
            Route("/v1/images/generations", images, methods=["POST"]),
            Route("/api/v1/services/aigc/text2image/image-synthesis", submit, methods=["POST"]),
            Route("/api/v1/tasks/{job}", poll), Route("/files/{name}", files)]


async def test_siliconflow_and_the_openai_llm_over_http_complete_a_task(open_app):
    state: dict = {}
    async with serve(fake_provider(state)) as base:
        state["base"] = base
        async with open_app(IMAGE_PROVIDER="siliconflow", SILICONFLOW_API_KEY="k",
                            SILICONFLOW_BASE_URL=f"{base}/v1", LLM_PROVIDER="openai",
                            LLM_API_KEY="k", LLM_BASE_URL=f"{base}/v1",
                            FETCH_ALLOW_HTTP_LOOPBACK=True) as h:
            task = await h.ready_task("a red dragon")
            stored = await h.generation.storage.get(f"images/{task['id']}/0.png")
    assert (task["status"], task["phase"]) == ("IMAGE_COMPLETED", "AWAITING_SELECTION")
    assert stored == PICTURE
    assert [img["imagePrompt"] for img in task["images"]] == [f"style {i}" for i in range(4)]
    assert state["chat"][0]["messages"][1]["content"] == "a red dragon"
    assert sorted(body["prompt"] for body in state["images"]) == [f"style {i}" for i in range(4)]


async def test_dashscope_async_jobs_over_http_complete_a_task(open_app):
    state: dict = {}
    async with serve(fake_provider(state)) as base:
        state["base"] = base
        async with open_app(IMAGE_PROVIDER="dashscope", DASHSCOPE_API_KEY="k",
                            DASHSCOPE_BASE_URL=base, DASHSCOPE_POLL_INTERVAL=0.01,
                            FETCH_ALLOW_HTTP_LOOPBACK=True) as h:
            task = await h.ready_task()
    assert task["status"] == "IMAGE_COMPLETED"
    assert state["submits"] == ["enable"] * 4 and set(state["polls"].values()) == {2}


async def test_a_failing_provider_over_http_ends_in_image_failed(open_app):
    state: dict = {"fail_images": True}
    async with serve(fake_provider(state)) as base:
        state["base"] = base
        async with open_app(IMAGE_PROVIDER="siliconflow", SILICONFLOW_API_KEY="k",
                            SILICONFLOW_BASE_URL=f"{base}/v1", IMAGE_MAX_ATTEMPTS=2) as h:
            task = await h.ready_task()
    assert task["status"] == "IMAGE_FAILED"
    assert {img["errorMessage"] for img in task["images"]} == {"Image provider answered HTTP 503"}
    assert len(state["images"]) == 8


async def test_result_urls_on_loopback_are_refused_without_the_test_setting(open_app):
    state: dict = {}
    async with serve(fake_provider(state)) as base:
        state["base"] = base
        async with open_app(IMAGE_PROVIDER="siliconflow", SILICONFLOW_API_KEY="k",
                            SILICONFLOW_BASE_URL=f"{base}/v1") as h:
            task = await h.ready_task()
    assert task["status"] == "IMAGE_FAILED"
    assert task["images"][0]["errorMessage"] == "Result URL refused: https required"
    assert len(state["images"]) == 4  # refused results are final, not retried
