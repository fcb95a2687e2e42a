"""Processes the benchmarks start: `python -m bench.servers <kind> <port> [options]`."""

import sys

import uvicorn
from fastapi import APIRouter

from lumi_shared import heap
from lumi_shared.docstore import InMemoryClient
from lumi_shared.service import build_infra, create_service_app, uvicorn_options
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


def gateway(upstream: str, rabbit_url: str | None = None):
    from gateway.config import Settings
    from gateway.main import create_app

    urls = {f"{s.upper()}_URL": upstream for s in ("auth", "generation", "modeling",
                                                   "printing", "gallery")}
    return create_app(Settings(LUMI_ENV="test", RABBITMQ_URL=rabbit_url, SSE_MAX_CLIENTS=20_000,
                               **urls))


def session_and_task_fakes():
    """Stand-ins for auth and generation: token `tok-<user>` is user <user>, who owns
    task `task-<user>`. Lets the SSE benchmark measure the gateway alone."""
    from fastapi import FastAPI, Request
    from fastapi.responses import JSONResponse

    from lumi_shared.identity import optional_user

    app = FastAPI()
    app.state.settings = BaseServiceSettings(LUMI_ENV="test")

    @app.post("/internal/sessions/resolve")
    async def resolve(body: dict) -> dict:
        user = body["token"].removeprefix("tok-")
        return {"status": "success", "data": {"user_id": user, "role": "user",
                                              "session_id": f"s-{user}"}}

    @app.get("/api/tasks/{task_id}")
    async def task(task_id: str, request: Request):
        user = optional_user(request)
        if user is None or task_id != f"task-{user.user_id}":
            return JSONResponse({"status": "fail", "data": {"code": "NOT_FOUND"}}, 404)
        return {"status": "success", "data": {"id": task_id, "status": "IMAGE_PENDING"}}

    @app.get("/readyz")
    async def ready() -> dict:
        return {"status": "success"}

    return app


def _load_gallery_seeder():
    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().parent.parent / "services" / "gallery" / "bench_gallery.py"
    spec = importlib.util.spec_from_file_location("bench_gallery", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.seed_catalogue


def seeded_gallery(models: int, cache_seconds: str):
    import asyncio

    from gallery.config import Settings
    from gallery.main import create_app

    seed_catalogue = _load_gallery_seeder()
    store = InMemoryClient()
    settings = Settings(LUMI_ENV="test", LIST_CACHE_SECONDS=float(cache_seconds))
    app = create_app(settings, mongo=store)
    asyncio.run(seed_catalogue(store[settings.database_name], models))
    return app


def main() -> None:
    kind, port = sys.argv[1], int(sys.argv[2])
    if kind == "trivial":
        app = trivial_service()
    elif kind == "fakes":
        app = session_and_task_fakes()
    elif kind == "gallery":
        app = seeded_gallery(int(sys.argv[3]), sys.argv[4])
    else:
        app = gateway(sys.argv[3], *sys.argv[4:])
    # the options every runtime mode uses (no Server header, no proxy-header rewriting)
    options = {**uvicorn_options(app.state.settings), "log_config": None}
    heap.settle_once_started()  # as `serve` does for a service process
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False,
                **options)


if __name__ == "__main__":
    main()
