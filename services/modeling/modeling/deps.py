"""What the use cases need, built once by the composition root (`main.create_app`)."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .repository import ModelRepository


@dataclass
class Deps:
    repo: ModelRepository
    storage: Any
    settings: Any
    wake_worker: Callable[[], None] = lambda: None
