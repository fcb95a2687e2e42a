"""Use cases of the printing service (no FastAPI/FastStream here)."""

from .deps import Deps

__all__ = ["Deps"]
