"""Processes the benchmarks start: `python -m bench.servers <kind> <port> [options]`."""

import sys

import uvicorn
from fastapi import APIRouter

from lumi_shared.docstore import InMemoryClient
from lumi_shared.service import build_infra, create_service_app
from lumi_shared.settings import BaseServiceSettings


def trivial_service():
    """A service with the standard stack and one trivial public endpoint."""
    router = APIRouter()

    @router.get("/api/gallery/ping")
    async def ping() -> dict:
        return {"status": "success", "data": {"pong": True}}

    settings = BaseServiceSettings(SERVICE_NAME="bench", LUMI_ENV="test")
    return create_service_app(infra=build_infra(settings, mongo=InMemoryClient()),
                              title="bench", routers=[router])


def gateway(upstream: str):
    from gateway.config import Settings
    from gateway.main import create_app

    urls = {f"{s.upper()}_URL": upstream for s in ("auth", "generation", "modeling",
                                                   "printing", "gallery")}
    return create_app(Settings(LUMI_ENV="test", **urls))


def main() -> None:
    kind, port = sys.argv[1], int(sys.argv[2])
    app = trivial_service() if kind == "trivial" else gateway(sys.argv[3])
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)


if __name__ == "__main__":
    main()
