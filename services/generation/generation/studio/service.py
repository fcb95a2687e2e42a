"""Use cases of studio tools: create a generation (validated on the server, charged before the
provider is called), read its status, list the history, and the old clients' handle-failure
(which only asks the server to check the provider now)."""

import uuid
from dataclasses import dataclass, field
from typing import Any

import structlog

from lumi_shared.errors import InsufficientCredits, NotFound, UpstreamError
from lumi_shared.fetch import FetchError

from ..providers.base import ProviderError
from . import domain
from .catalog import Catalog, ImageModel
from .domain import InvalidModel, InvalidParameters, Status
from .providers.credits import AuthCredits, CreditsUnavailable
from .repository import StudioRepository
from .results import ImageCopier
from .views import create_answer

log = structlog.get_logger("lumi.generation.studio")
NAMESPACE = uuid.UUID("5b0e0d4e-7a1c-4f7e-9a43-1c1f6f0b7d11")
SUPPORTED_GEN_TYPES = ("action_figure", "anime")
MAX_TEMPLATE_PROMPT = 10_000


@dataclass
class CreateInput:
    gen_type: str
    model_id: str
    counts: int
    template_id: str | None
    template_prompt: str | None
    user_prompt: str
    prompt: str | None
    aspect_ratio: str | None
    reference_image_urls: list[str]
    character_uuids: list[str]
    visibility_level: str


@dataclass
class Studio:
    settings: Any
    repo: StudioRepository
    catalog: Catalog
    credits: AuthCredits
    provider: Any
    results: ImageCopier
    references: ImageCopier
    limits: Any = None
    thumbnails: dict[str, bytes] = field(default_factory=dict)


def _model(catalog: Catalog, model_id: str) -> ImageModel:
    model = catalog.models.get(model_id)
    if model is None or not model.usable:
        raise InvalidModel(f"Unsupported or inactive model: {model_id[:100]}")
    return model


def _prompt_and_ratio(catalog: Catalog, req: CreateInput, gen_type: str,
                      model: ImageModel) -> tuple[str, str, str | None]:
    if len(req.user_prompt) > model.prompt_max_length:
        raise InvalidParameters(f"user_prompt exceeds {model.prompt_max_length} characters")
    if req.template_prompt and len(req.template_prompt) > MAX_TEMPLATE_PROMPT:
        raise InvalidParameters(f"template_prompt exceeds {MAX_TEMPLATE_PROMPT} characters")
    if gen_type == "action_figure":
        template = catalog.templates.get(req.template_id or "")
        if template is None:
            raise InvalidParameters("template_id must name one of the action-figure templates")
        # The client's template_prompt is never used: the template is loaded by id.
        prompt = domain.build_prompt(template.prompt, req.user_prompt,
                                     bool(req.reference_image_urls))
        return prompt, template.aspect_ratio, template.id
    text = (req.prompt or "").strip()
    if not text:
        raise InvalidParameters("prompt is required")
    if len(text) > model.prompt_max_length:
        raise InvalidParameters(f"prompt exceeds {model.prompt_max_length} characters")
    return domain.build_prompt(text, req.user_prompt, bool(req.reference_image_urls)), \
        req.aspect_ratio or "1:1", None


def validate(studio: Studio, req: CreateInput) -> tuple[str, ImageModel, str, str, str | None]:
    gen_type = domain.normalize_gen_type(req.gen_type)
    if gen_type not in SUPPORTED_GEN_TYPES:
        raise InvalidParameters(f"gen_type must be one of {', '.join(SUPPORTED_GEN_TYPES)}")
    model = _model(studio.catalog, req.model_id)
    if not 1 <= req.counts <= model.max_counts:
        raise InvalidParameters(f"counts must be between 1 and {model.max_counts} for this model")
    if req.character_uuids:
        raise InvalidParameters("character_uuids is not supported")
    limit = min(studio.settings.STUDIO_MAX_REFERENCE_IMAGES, model.max_reference_images)
    if len(req.reference_image_urls) > limit:
        raise InvalidParameters(f"Reference image count exceeds the model limit of {limit}")
    prompt, ratio, template_id = _prompt_and_ratio(studio.catalog, req, gen_type, model)
    if ratio not in model.supported_ratios:
        raise InvalidParameters(f"Aspect ratio {ratio} is not supported by {model.model_id}")
    return gen_type, model, prompt, ratio, template_id


async def _store_references(studio: Studio, generation_id: str, urls: list[str]) -> list[str]:
    stored = []
    for i, url in enumerate(urls):
        try:
            stored.append(await studio.references.copy(url, f"studio/{generation_id}/ref-{i}.png"))
        except FetchError as exc:
            raise InvalidParameters(f"reference_image_urls[{i}]: {exc}") from None
    return stored


def generation_id_for(user_id: str, key: str | None) -> str:
    if key:
        return str(uuid.uuid5(NAMESPACE, f"{user_id}\n{key}"))
    return str(uuid.uuid4())


async def create_generation(*, studio: Studio, user_id: str, req: CreateInput,
                            idempotency_key: str | None) -> dict[str, Any]:
    gen_type, model, prompt, ratio, template_id = validate(studio, req)
    generation_id = generation_id_for(user_id, idempotency_key)
    if (existing := await studio.repo.get(generation_id)) is not None:
        return create_answer(existing)
    if studio.limits is not None:
        await studio.limits.admit(user_id, generation_id)
    references = await _store_references(studio, generation_id, req.reference_image_urls)
    now = studio.repo.clock()
    cost = model.cost(req.counts)
    doc = {"_id": generation_id, "userId": user_id, "type": "image", "genType": gen_type,
           "status": Status.PENDING, "progress": 0, "modelId": model.model_id,
           "prompt": prompt, "userPrompt": req.user_prompt, "templateId": template_id,
           "aspectRatio": ratio, "counts": req.counts, "creditsCost": cost, "charged": False,
           "referenceImageUrls": references, "visibility": req.visibility_level,
           "estimatedTime": model.seconds_per_image * req.counts, "images": [],
           "idempotencyKey": idempotency_key, "createdAt": now, "updatedAt": now}
    if not await studio.repo.insert(doc):
        return create_answer(await studio.repo.get(generation_id) or doc)
    await _charge(studio, doc)
    try:
        remote_id = await studio.provider.create_task(
            model=model.model_id, prompt=prompt, aspect_ratio=ratio, count=req.counts,
            reference_urls=references,
            callback_url=f"{studio.settings.studio_webhook_url}?generation={generation_id}")
    except ProviderError as exc:
        await studio.repo.mutate(generation_id, domain.failed("API_CALL_FAILED", exc.message))
        log.warning("studio_provider_refused", generation_id=generation_id, error=exc.message)
        raise UpstreamError("The image provider did not accept the task; "
                            "the credits will be refunded") from None
    done = await studio.repo.mutate(generation_id, domain.submitted(remote_id))
    log.info("studio_generation_created", generation_id=generation_id, user_id=user_id,
             model_id=model.model_id, credits=cost)
    return create_answer(done.doc if done else doc)


async def _charge(studio: Studio, doc: dict[str, Any]) -> None:
    """Debit before the provider is called; the generation id is the debit's key."""
    try:
        await studio.credits.debit(user_id=doc["userId"], amount=doc["creditsCost"],
                                   key=doc["_id"], reason=f"Studio {doc['genType']}")
    except InsufficientCredits:
        await studio.repo.discard_uncharged(doc["_id"])
        raise
    except CreditsUnavailable:
        # The debit may or may not have happened: fail (the refund gives back whatever did).
        await studio.repo.mutate(doc["_id"], domain.failed("CREDITS_UNAVAILABLE",
                                                           "The credits service was unavailable"))
        raise
    await studio.repo.mutate(doc["_id"], domain.charged)


async def generation_for(studio: Studio, generation_id: str, user_id: str | None,
                         *, owner_only: bool = False) -> dict[str, Any]:
    doc = await studio.repo.get(generation_id)
    if doc is None or doc["status"] == Status.PENDING and doc["userId"] != user_id:
        raise NotFound("Generation not found")
    allowed = doc["userId"] == user_id if owner_only else domain.visible_to(doc, user_id)
    if not allowed:
        raise NotFound("Generation not found")
    return doc


async def history(*, studio: Studio, user_id: str, page: int, limit: int,
                  status: str | None, gen_type: str | None) -> tuple[list[dict[str, Any]], int]:
    gen = domain.normalize_gen_type(gen_type) if gen_type else None
    return await studio.repo.history(user_id, status=status, gen_type=gen,
                                     offset=(page - 1) * limit, limit=limit)
