"""Use cases of the printing service (no FastAPI/FastStream here)."""
