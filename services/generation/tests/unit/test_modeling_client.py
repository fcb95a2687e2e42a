"""generation's client of modeling's internal `GET /internal/tasks/{id}/model`."""

import httpx
import pytest

from generation.providers.modeling import ModelingClient, ModelingUnavailable
from lumi_shared.contracts import ModelProgressed


def client_answering(handler) -> ModelingClient:
    return ModelingClient("http://modeling.test", secret="s" * 32,
                          transport=httpx.MockTransport(handler))


async def test_the_answer_is_decoded_into_its_contract():
    event = ModelProgressed(task_id="t1", user_id="u1", model_id="m1", version=4, progress=50,
                            status="RUNNING")

    def handler(request: httpx.Request) -> httpx.Response:
        assert request.url.path == "/internal/tasks/t1/model"
        return httpx.Response(200, json={"status": "success", "data": {
            "routingKey": event.routing_key, "event": event.model_dump(mode="json")}})

    assert await client_answering(handler).model_of("t1") == event


async def test_no_model_is_none():
    assert await client_answering(lambda r: httpx.Response(404, json={})).model_of("t1") is None


@pytest.mark.parametrize("answer", [
    lambda r: httpx.Response(503, json={}),
    lambda r: httpx.Response(200, json={"status": "success", "data": {"routingKey": "model.ready",
                                                                       "event": {"x": 1}}}),
    lambda r: httpx.Response(200, text="not json"),
])
async def test_anything_else_is_unavailable_not_a_verdict(answer):
    with pytest.raises(ModelingUnavailable):
        await client_answering(answer).model_of("t1")


async def test_an_unreachable_modeling_is_unavailable():
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    with pytest.raises(ModelingUnavailable):
        await client_answering(refuse).model_of("t1")
