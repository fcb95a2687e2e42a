"""The project-owned studio catalogue: action-figure templates and image models with prices.

Both are JSON files next to this module, read once and cached for the process. Prices are
credits per image; a generation costs `credits_per_image * counts`.
"""

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

HERE = Path(__file__).parent
THUMBNAIL_PATH = "/api/oc-apps/action-figure/thumbnails/{id}.png"


@dataclass(frozen=True)
class Template:
    id: str
    name: str
    description: str
    aspect_ratio: str
    style: str
    prompt: str

    def public(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "description": self.description,
                "thumbnail": THUMBNAIL_PATH.format(id=self.id),
                "aspect_ratio": self.aspect_ratio, "prompt": self.prompt,
                "i18n_name_key": f"action_figure_templates.{self.id}.name",
                "i18n_description_key": f"action_figure_templates.{self.id}.description"}


@dataclass(frozen=True)
class ImageModel:
    model_id: str
    name: str
    type: str
    status: str
    credits_per_image: int
    max_counts: int
    seconds_per_image: int
    prompt_max_length: int
    max_reference_images: int
    supported_ratios: tuple[str, ...]

    @property
    def usable(self) -> bool:
        return self.status == "active" and self.type == "img2img"

    def cost(self, counts: int) -> int:
        return self.credits_per_image * counts


@dataclass(frozen=True)
class Catalog:
    version: str
    templates: dict[str, Template]
    models: dict[str, ImageModel]

    def templates_document(self) -> dict[str, Any]:
        return {"version": self.version,
                "templates": [t.public() for t in self.templates.values()]}


@cache
def load_catalog(directory: Path = HERE) -> Catalog:
    raw_templates = json.loads((directory / "action-figure-templates.json").read_text())
    raw_models = json.loads((directory / "models.json").read_text())
    templates = {t["id"]: Template(**t) for t in raw_templates["templates"]}
    models = {m["model_id"]: ImageModel(**{**m, "supported_ratios": tuple(m["supported_ratios"])})
              for m in raw_models["models"]}
    return Catalog(raw_templates["version"], templates, models)
