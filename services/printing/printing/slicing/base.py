"""The slicer interface: every slicer (embedded planar, PrusaSlicer CLI, HTTP slicer service)
takes the model and the printer profile and returns the G-code text it wrote."""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Protocol

from .profile import PrintProfile


class SliceError(Exception):
    """Slicing failed; `message` is safe to show to the user."""

    def __init__(self, message: str, *, retryable: bool = False) -> None:
        super().__init__(message)
        self.retryable = retryable


@dataclass
class SliceSource:
    model_id: str
    url: str                     # public URL of the mesh (what a remote slicer fetches)
    file_type: str               # stl | obj | glb
    load: Callable[[], Awaitable[bytes]]  # the mesh bytes, read from storage or fetched


class Slicer(Protocol):
    name: str

    async def slice(self, source: SliceSource, profile: PrintProfile, *,
                    timeout: float) -> str: ...
