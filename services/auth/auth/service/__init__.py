"""Use cases of the auth service (no FastAPI imports here)."""
