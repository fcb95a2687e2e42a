"""What the use cases need, built once in main.py."""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from lumi_shared.contracts.base import utcnow

from .printers.registry import DeviceRegistry
from .repository import Repository
from .slicing import PrintProfile


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
