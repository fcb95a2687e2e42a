"""The six deployable services and their ports: one source for the Dockerfiles and the tests."""

SERVICES: dict[str, int] = {
    "gateway": 8000,
    "auth": 8001,
    "generation": 8002,
    "modeling": 8003,
    "printing": 8004,
    "gallery": 8005,
}

# Workspace members whose pyproject.toml uv needs to check uv.lock (`--locked`) in an image build.
WORKSPACE_MEMBERS: tuple[str, ...] = ("shared", *(f"services/{s}" for s in SERVICES), "embedded")

UV_VERSION = "0.13.8"
UID = 10001
