"""The merged document at /api/openapi: valid OpenAPI 3.1, and typed (every success answer is
the JSend envelope around a declared shape; validation documented as 400, never 422)."""

import httpx
import pytest
import yaml
from openapi_spec_validator import OpenAPIV31SpecValidator

from gateway.openapi import GATEWAY_PATHS
from lumi_embedded.harness import FAST
from lumi_embedded.system import running_system

pytestmark = pytest.mark.e2e
METHODS = {"get", "post", "put", "patch", "delete"}


@pytest.fixture
async def client(tmp_path):
    async with running_system(tmp_path, overrides=FAST) as system:
        async with httpx.AsyncClient(base_url=system.url, timeout=10) as http:
            yield http


@pytest.fixture
async def document(client):
    response = await client.get("/api/openapi")
    assert response.status_code == 200
    return yaml.safe_load(response.text)


def _resolve(document, schema):
    while "$ref" in schema:
        schema = document["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return schema


def _typed(document, schema) -> bool:
    schema = _resolve(document, schema)
    if "anyOf" in schema:
        return all(_typed(document, s) for s in schema["anyOf"])
    if schema.get("type") == "array":
        return _typed(document, schema.get("items", {}))
    if schema.get("type") == "object" or not schema:
        return bool(schema.get("properties")) or isinstance(
            schema.get("additionalProperties"), dict) and _typed(document, schema["additionalProperties"])
    return True


def _operations(document):
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if method in METHODS:
                yield f"{method.upper()} {path}", operation


async def test_the_merged_document_is_valid_openapi_3_1(document):
    assert document["openapi"] == "3.1.0"
    errors = list(OpenAPIV31SpecValidator(document).iter_errors())
    assert not errors, [str(e)[:300] for e in errors[:5]]
    assert len(list(_operations(document))) >= 50


async def test_every_success_answer_is_a_typed_jsend_envelope(document):
    untyped = []
    for name, operation in _operations(document):
        for status, response in operation["responses"].items():
            content = response.get("content", {}).get("application/json")
            if not status.startswith("2") or content is None:
                continue
            envelope = _resolve(document, content["schema"])
            data = envelope.get("properties", {}).get("data")
            if envelope["properties"]["status"].get("const") == "success" and (
                    data is None or not _typed(document, data)):
                untyped.append(f"{name} {status}")
    assert not untyped


async def test_validation_is_documented_as_400_and_login_routes_as_401(document):
    for name, operation in _operations(document):
        responses = operation["responses"]
        assert "422" not in responses, name
        served_by_a_service = name.split(" ", 1)[1] not in GATEWAY_PATHS
        if served_by_a_service and (operation.get("parameters") or operation.get("requestBody")):
            assert "400" in responses, name
            assert responses["400"]["content"]["application/json"]["schema"]["$ref"].endswith("Fail")
        if operation.get("security") == [{"bearer": []}, {"cookie": []}]:
            assert "401" in responses, name
    tasks = document["paths"]["/api/tasks"]["post"]
    prompt = _resolve(document, tasks["requestBody"]["content"]["application/json"]["schema"])
    assert prompt["properties"]["prompt"]["maxLength"] == 500
    assert "429" in tasks["responses"] and "Retry-After" in tasks["responses"]["429"]["headers"]
    assert "text/event-stream" in document["paths"]["/api/tasks/{task_id}/events"]["get"][
        "responses"]["200"]["content"]


async def test_a_wrong_method_answers_405_with_the_methods_the_document_lists(client, document):
    for method, path in (("OPTIONS", "/api/gallery/models/batch-interactions"),
                         ("PUT", "/api/proxy/image"), ("DELETE", "/api/gallery/models")):
        response = await client.request(method, path)
        assert response.status_code == 405, (method, path)
        documented = {m.upper() for m in document["paths"][path]}
        assert set(response.headers["allow"].split(", ")) - {"HEAD", "OPTIONS"} == documented
