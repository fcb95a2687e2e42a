"""Response models of the studio endpoints: the original API's field names inside JSend, plus
the top-level extras its old client reads (`success`, `code`, `message`, `version`...)."""

from typing import Any, Generic, Literal, TypeVar

from pydantic import BaseModel, Field

from lumi_shared.openapi import JSend

from .domain import Status

T = TypeVar("T")


class StudioJSend(JSend[T], Generic[T]):
    success: Literal[True]


class Template(BaseModel):
    id: str
    name: str
    description: str
    thumbnail: str = Field(description="Path of the PNG thumbnail")
    aspect_ratio: str
    prompt: str
    i18n_name_key: str
    i18n_description_key: str


class Templates(BaseModel):
    version: str
    templates: list[Template]


class TemplatesAnswer(StudioJSend[Templates]):
    version: str
    templates: list[Template]


class Created(BaseModel):
    generation_uuid: str
    status: Status
    remote_task_id: str | None
    estimated_time: int | float
    credits_cost: int
    message: str


class ResultImage(BaseModel):
    id: int
    uuid: str
    image_uuid: str
    image_url: str
    thumbnail_url: str
    thumbnail_mobile: str
    thumbnail_desktop: str
    generation_uuid: str
    created_at: str | None


class GenerationStatus(BaseModel):
    uuid: str
    generation_uuid: str
    status: Status
    progress: int | float
    error_message: str | None
    error_code: str | None
    created_at: str
    updated_at: str | None
    batch_size: int
    counts: int
    credits_used: int
    credits_cost: int
    message: str
    remote_task_id: str | None
    type: str
    gen_type: str
    sub_type: str
    template_id: str | None
    model_id: str
    visibility_level: Literal["public", "private"]
    results: list[ResultImage] | None = Field(None, description="Once completed or failed")


class StatusAnswer(StudioJSend[GenerationStatus]):
    code: Literal[0]
    message: str


class CheckedAnswer(StudioJSend[GenerationStatus]):
    message: str


class HistoryImage(BaseModel):
    uuid: str
    image_url: str
    thumbnail_mobile: str
    thumbnail_desktop: str


class HistoryRecord(BaseModel):
    uuid: str
    created_at: str
    updated_at: str | None
    remote_task_id: str | None
    model_id: str
    prompt: str
    user_prompt: str
    status: Status
    progress: int | float
    counts: int
    credits_cost: int
    type: str
    gen_type: str
    template_id: str | None
    visibility_level: Literal["public", "private"]
    error_code: str | None
    error_message: str | None
    images: list[HistoryImage]


class Pagination(BaseModel):
    page: int
    limit: int
    total: int
    totalPages: int
    hasNext: bool
    hasPrev: bool


class History(BaseModel):
    records: list[HistoryRecord]
    pagination: Pagination


class WebhookAck(BaseModel):
    status: Literal["accepted"]
    taskId: str
    state: str
    generation_status: Status


class WebhookAnswer(WebhookAck):
    """The acknowledgement at the top level (what providers read) and again at `data`."""

    data: WebhookAck


def body_schema(model: type[BaseModel]) -> dict[str, Any]:
    """`openapi_extra` of a route that parses its JSON body itself."""
    return {"requestBody": {"required": True, "content": {"application/json": {
        "schema": model.model_json_schema()}}}}
