"""What the use cases need, built once in main.py."""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from ..printers.registry import DeviceRegistry
from ..repository import Repository
from ..slicing import PrintProfile


def utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass
class Deps:
    repo: Repository
    storage: Any
    settings: Any
    registry: DeviceRegistry
    profile: PrintProfile
    fetcher: Any = None
    wake_slicer: Callable[[], None] = lambda: None
    wake_printer: Callable[[], None] = lambda: None
    clock: Callable[[], datetime] = field(default=utcnow)
