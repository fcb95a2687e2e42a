"""Studio-tools routes: templates (+ thumbnails), create-task, status, history, the provider
webhook and handle-failure. Thin: parse, call one use case, shape the answer."""

import asyncio
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field, StrictInt, StrictStr, ValidationError

from lumi_shared.errors import NotFound
from lumi_shared.http import ok
from lumi_shared.identity import CurrentUser, OptionalUser
from lumi_shared.openapi import errors
from lumi_shared.responses import JSendJSON

from . import service
from .domain import InvalidParameters, Status
from .providers.figures import render_figure, size_for_ratio
from .schemas import (
    CheckedAnswer,
    History,
    StatusAnswer,
    StudioJSend,
    TemplatesAnswer,
    WebhookAnswer,
    body_schema,
)
from .schemas import Created as CreatedView
from .service import CreateInput, Studio
from .settle import receive_webhook, reconcile_one
from .views import history_record, status_view

Text = Annotated[StrictStr, Field(max_length=10_000)]
Url = Annotated[StrictStr, Field(min_length=1, max_length=2048)]


async def _studio(request: Request) -> Studio:
    return request.app.state.studio


StudioDep = Annotated[Studio, Depends(_studio)]


class CreateBody(BaseModel):
    """Both spellings: the design document's `model_id`/`counts`, the code's
    `model_uuid`/`batch_size`. Unknown fields are ignored."""

    model_config = ConfigDict(extra="ignore")
    gen_type: StrictStr = Field(min_length=1, max_length=50)
    model_id: StrictStr | None = Field(None, max_length=200)
    model_uuid: StrictStr | None = Field(None, max_length=200)
    counts: StrictInt | None = Field(None, ge=1, le=16)
    batch_size: StrictInt | None = Field(None, ge=1, le=16)
    template_id: StrictStr | None = Field(None, max_length=100)
    template_prompt: Text | None = None
    user_prompt: Text = ""
    prompt: Text | None = None
    aspect_ratio: StrictStr | None = Field(None, max_length=20)
    reference_image_urls: list[Url] = Field(default_factory=list, max_length=16)
    character_uuids: list[Annotated[StrictStr, Field(max_length=64)]] = Field(
        default_factory=list, max_length=1)
    visibility_level: Literal["public", "private"] = "private"
    client_token: StrictStr | None = Field(None, min_length=1, max_length=200)

    def to_input(self) -> CreateInput:
        model = self.model_uuid or self.model_id
        if not model:
            raise InvalidParameters("model_uuid (or model_id) is required")
        return CreateInput(
            gen_type=self.gen_type, model_id=model, counts=self.batch_size or self.counts or 1,
            template_id=self.template_id, template_prompt=self.template_prompt,
            user_prompt=self.user_prompt.strip(), prompt=self.prompt, aspect_ratio=self.aspect_ratio,
            reference_image_urls=self.reference_image_urls, character_uuids=self.character_uuids,
            visibility_level=self.visibility_level)


class FailureBody(BaseModel):
    model_config = ConfigDict(extra="ignore")
    generation_uuid: StrictStr = Field(min_length=1, max_length=64)
    reason: StrictStr | None = Field(None, max_length=500)
    error_type: StrictStr | None = Field(None, max_length=50)


async def _parse(request: Request, model: type[BaseModel]) -> Any:
    try:
        return model.model_validate_json(await request.body())
    except ValidationError as exc:
        details = [{"field": ".".join(str(p) for p in e["loc"]), "message": e["msg"]}
                   for e in exc.errors()[:10]]
        first = details[0] if details else {"field": "", "message": "invalid"}
        message = "Malformed JSON body" if any(e["type"] == "json_invalid" for e in exc.errors()) \
            else f"{first['field']}: {first['message']}"
        raise InvalidParameters(message, details=details) from None


def _ok(data: Any, status_code: int = 200, **extra: Any) -> Response:
    return JSendJSON({**ok(data), "success": True, **extra}, status_code=status_code)


GENERATION_ID = Annotated[str, Path(min_length=1, max_length=64, description="generation_uuid")]
OWN = errors(s404="No such generation of the caller")


router = APIRouter(tags=["studio"])


@router.get("/api/oc-apps/action-figure/templates", response_model=TemplatesAnswer)
async def templates(studio: StudioDep) -> Response:
    document = studio.catalog.templates_document()
    response = _ok(document, **document)  # raw `version`/`templates` too, for the old client
    response.headers["Cache-Control"] = "public, max-age=300"
    return response


@router.get("/api/oc-apps/action-figure/thumbnails/{template_id}.png", response_class=Response,
            responses={200: {"description": "PNG thumbnail", "content": {"image/png": {
                "schema": {"type": "string", "contentMediaType": "image/png"}}}},
                **errors(s404="No such template")})
async def thumbnail(studio: StudioDep,
                    template_id: Annotated[str, Path(max_length=100)]) -> Response:
    template = studio.catalog.templates.get(template_id)
    if template is None:
        raise NotFound("Template not found")
    cache = studio.thumbnails
    if template_id not in cache:
        cache[template_id] = await asyncio.to_thread(
            render_figure, template.style, template.id, size_for_ratio(template.aspect_ratio, 240))
    return Response(cache[template_id], media_type="image/png",
                    headers={"Cache-Control": "public, max-age=86400"})


@router.post("/api/anime-generation/create-task", response_model=StudioJSend[CreatedView],
             openapi_extra=body_schema(CreateBody), responses=errors(
                 s400="Invalid body, or a rule of the chosen model (counts, aspect ratio, "
                      "reference images, prompt length, template) is broken",
                 s402="Not enough credits", s429="Too many generations started or running",
                 s502="The image provider refused the task (the credits are refunded)"))
async def create_task(request: Request, user: CurrentUser, studio: StudioDep) -> Response:
    body = await _parse(request, CreateBody)
    key = request.headers.get("idempotency-key") or body.client_token
    if key is not None and not 1 <= len(key) <= 200:
        raise InvalidParameters("Idempotency-Key must be 1 to 200 characters")
    answer = await service.create_generation(studio=studio, user_id=user.user_id,
                                             req=body.to_input(), idempotency_key=key)
    return _ok(answer)


@router.get("/api/generation/status/{generation_uuid}", response_model=StatusAnswer,
            responses=errors(s404="No such generation (private ones of other users included)"))
async def generation_status(generation_uuid: GENERATION_ID, user: OptionalUser,
                            studio: StudioDep) -> Response:
    doc = await service.generation_for(studio, generation_uuid,
                                       user.user_id if user else None)
    return _ok(status_view(doc), code=0, message="ok")


@router.get("/api/anime-generation/history", response_model=StudioJSend[History])
async def history(user: CurrentUser, studio: StudioDep,
                  page: Annotated[int, Query(ge=1, le=10_000)] = 1,
                  limit: Annotated[int, Query(ge=1, le=100)] = 20,
                  status: Annotated[Status | None, Query()] = None,
                  gen_type: Annotated[str | None, Query(max_length=50)] = None) -> Response:
    docs, total = await service.history(studio=studio, user_id=user.user_id, page=page,
                                        limit=limit, status=status, gen_type=gen_type)
    pages = (total + limit - 1) // limit
    return _ok({"records": [history_record(d) for d in docs], "pagination": {
        "page": page, "limit": limit, "total": total, "totalPages": pages,
        "hasNext": page < pages, "hasPrev": page > 1}})


WEBHOOK_DOC = {"requestBody": {"required": True, "content": {"application/json": {"schema": {
    "type": "object", "description": "The provider's task record (KieAI callback: "
                                     "`{code, msg, data: {taskId, state, resultJson...}}`)"}}}},
    "parameters": [
    {"name": name, "in": "header", "required": False, "schema": {"type": "string"},
     "description": "Standard Webhooks signature header"}
    for name in ("webhook-id", "webhook-timestamp", "webhook-signature")]}


@router.post("/api/generation/webhook", response_model=WebhookAnswer, openapi_extra=WEBHOOK_DOC,
             responses=errors(s400="Malformed callback or a result host that is not the "
                                   "provider's", s401="Missing or invalid webhook signature",
                              s404="No generation for this provider task",
                              s409="This webhook id was already processed",
                              s503="The result is not ready to be settled yet; retry"))
async def webhook(request: Request, studio: StudioDep,
                  generation: Annotated[str | None, Query(max_length=64)] = None) -> Response:
    """The image provider's result callback (Standard Webhooks signature)."""
    body = await request.body()
    answer = await receive_webhook(studio=studio, headers=request.headers, body=body[:1_000_000],
                                   generation_hint=generation)
    return JSendJSON({**ok(answer), **answer})


@router.post("/api/generation/handle-failure", response_model=CheckedAnswer,
             openapi_extra=body_schema(FailureBody), responses=OWN)
async def handle_failure(request: Request, user: CurrentUser, studio: StudioDep) -> Response:
    """Old clients call this when their polling gives up. It never fails or refunds on the
    client's word: the server asks the provider now and settles only on its answer."""
    body = await _parse(request, FailureBody)
    await service.generation_for(studio, body.generation_uuid, user.user_id, owner_only=True)
    doc = await reconcile_one(studio, body.generation_uuid)
    return _ok(status_view(doc), message="Generation checked with the provider")
