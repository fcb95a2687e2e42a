"""Real provider adapters against fake HTTP answers (httpx.MockTransport)."""

import base64
import json

import httpx
import pytest

from generation.providers.base import ProviderError
from generation.providers.dashscope import DashScopeImageProvider
from generation.providers.fetch import GuardedFetcher
from generation.providers.openai_chat import OpenAIChatPromptWriter
from generation.providers.siliconflow import SiliconFlowImageProvider

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
CDN = "https://cdn.example.com/out/1.png"


async def public(host, port):
    return ["93.184.216.34"]


def cdn_fetcher(status=200, content=PNG):
    return GuardedFetcher(resolver=public, transport=httpx.MockTransport(
        lambda r: httpx.Response(status, content=content)))


def chat(handler):
    return OpenAIChatPromptWriter(base_url="https://llm.test/v1", api_key="k", model="m",
                                  transport=httpx.MockTransport(handler))


def chat_answer(content):
    return httpx.Response(200, json={"choices": [{"message": {"content": content}}]})


async def test_chat_writer_sends_an_openai_request_and_parses_four_variants():
    seen = []

    def handler(request):
        seen.append(request)
        return chat_answer(json.dumps({"variants": ["a", "b", "c", "d"]}))

    assert await chat(handler).variants("a red dragon", 4) == ["a", "b", "c", "d"]
    body = json.loads(seen[0].content)
    assert seen[0].url == "https://llm.test/v1/chat/completions"
    assert seen[0].headers["authorization"] == "Bearer k"
    assert body["response_format"] == {"type": "json_object"}
    assert [m["role"] for m in body["messages"]] == ["system", "user"]
    assert body["messages"][1]["content"] == "a red dragon"


@pytest.mark.parametrize("answer", [
    httpx.Response(500), httpx.Response(200, text="<html>"), httpx.Response(200, json=[1]),
    httpx.Response(200, json={"choices": []}), chat_answer('{"variants": ["only one"]}'),
    chat_answer(None)])
async def test_chat_writer_raises_on_errors_and_malformed_answers(answer):
    with pytest.raises(ProviderError):
        await chat(lambda r: answer).variants("p", 4)


async def test_chat_writer_maps_timeouts():
    def handler(request):
        raise httpx.ConnectTimeout("slow", request=request)

    with pytest.raises(ProviderError, match="timed out"):
        await chat(handler).variants("p", 4)


def siliconflow(handler, fetcher=None):
    return SiliconFlowImageProvider(base_url="https://api.test/v1", api_key="k", model="Qwen/Qwen-Image",
                                    fetcher=fetcher or cdn_fetcher(),
                                    transport=httpx.MockTransport(handler))


async def test_siliconflow_generates_then_downloads_the_result_url():
    seen = []

    def handler(request):
        seen.append(json.loads(request.content))
        return httpx.Response(200, json={"images": [{"url": CDN}], "seed": 1})

    assert await siliconflow(handler).generate("a dragon", seed=7) == PNG
    assert seen[0]["model"] == "Qwen/Qwen-Image" and seen[0]["prompt"] == "a dragon"
    assert (seen[0]["image_size"], seen[0]["batch_size"], seen[0]["seed"]) == ("1024x1024", 1, 7)


async def test_siliconflow_accepts_openai_style_base64_answers():
    encoded = base64.b64encode(PNG).decode()
    handler = lambda r: httpx.Response(200, json={"data": [{"b64_json": encoded}]})  # noqa: E731
    assert await siliconflow(handler).generate("p", seed=1) == PNG


@pytest.mark.parametrize(("answer", "retryable"), [
    (httpx.Response(500), True), (httpx.Response(429), True), (httpx.Response(400), False),
    (httpx.Response(401), False), (httpx.Response(200, text="nope"), True),
    (httpx.Response(200, json={"images": []}), True),
    (httpx.Response(200, json={"images": [{"url": 5}]}), True),
    (httpx.Response(200, json={"data": [{"b64_json": "***"}]}), True)])
async def test_siliconflow_errors_say_whether_a_retry_can_help(answer, retryable):
    with pytest.raises(ProviderError) as err:
        await siliconflow(lambda r: answer).generate("p", seed=1)
    assert err.value.retryable is retryable


async def test_siliconflow_refuses_result_urls_on_private_addresses():
    handler = lambda r: httpx.Response(200, json={"images": [{"url": "https://10.0.0.5/x.png"}]})  # noqa: E731
    with pytest.raises(ProviderError) as err:
        await siliconflow(handler).generate("p", seed=1)
    assert not err.value.retryable


def dashscope(handler, **kw):
    return DashScopeImageProvider(base_url="https://dash.test", api_key="k", model="qwen-image-plus",
                                  fetcher=cdn_fetcher(), poll_interval=0,
                                  transport=httpx.MockTransport(handler), **kw)


def dash_server(statuses, final_output=None):
    seen = []
    states = iter(statuses)

    def handler(request):
        seen.append(request)
        if request.method == "POST":
            return httpx.Response(200, json={"output": {"task_id": "t-1",
                                                        "task_status": "PENDING"}})
        status = next(states)
        output = {"task_id": "t-1", "task_status": status}
        if status == "SUCCEEDED":
            output["results"] = [{"url": CDN}]
        output.update(final_output or {})
        return httpx.Response(200, json={"output": output})

    return handler, seen


async def test_dashscope_submits_asynchronously_polls_and_downloads():
    handler, seen = dash_server(["PENDING", "RUNNING", "SUCCEEDED"])
    assert await dashscope(handler).generate("a dragon", seed=3) == PNG
    submit = seen[0]
    assert submit.headers["x-dashscope-async"] == "enable"
    assert submit.url.path == "/api/v1/services/aigc/text2image/image-synthesis"
    assert json.loads(submit.content)["input"] == {"prompt": "a dragon"}
    assert [r.url.path for r in seen[1:]] == ["/api/v1/tasks/t-1"] * 3


async def test_dashscope_reports_a_failed_job_with_its_code():
    handler, _ = dash_server(["RUNNING", "FAILED"], {"code": "DataInspectionFailed",
                                                     "message": "secret details"})
    with pytest.raises(ProviderError) as err:
        await dashscope(handler).generate("p", seed=1)
    assert "DataInspectionFailed" in err.value.message and "secret" not in err.value.message
    assert not err.value.retryable


async def test_dashscope_gives_up_when_the_job_never_finishes():
    handler, _ = dash_server(["RUNNING"] * 10_000)
    with pytest.raises(ProviderError, match="did not finish"):
        await dashscope(handler, poll_timeout=0.05).generate("p", seed=1)


@pytest.mark.parametrize("submit", [
    httpx.Response(200, json={"output": {}}), httpx.Response(200, text="x"),
    httpx.Response(200, json={"output": {"task_id": "../admin"}}), httpx.Response(503)])
async def test_dashscope_refuses_malformed_submissions(submit):
    with pytest.raises(ProviderError):
        await dashscope(lambda r: submit).generate("p", seed=1)


async def test_dashscope_refuses_a_success_without_a_result_url():
    handler, _ = dash_server(["SUCCEEDED"], {"results": [{}]})
    with pytest.raises(ProviderError, match="no image URL"):
        await dashscope(handler).generate("p", seed=1)
