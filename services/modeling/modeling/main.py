"""Composition root of the modeling service (3D models and model jobs)."""

from typing import Any

from lumi_shared import queues, queues_api
from lumi_shared.fetch import SafeFetcher
from lumi_shared.messaging import OutboxRelay, ProcessedEvents
from lumi_shared.service import build_infra, create_service_app, run_service
from lumi_shared.storage import create_storage

from . import api
from .config import Settings
from .consumers import subscriptions
from .deps import Deps
from .fetch import ImageLoader
from .providers import create_provider
from .repository import MongoModelRepository
from .worker import ModelWorker


def create_app(settings: Settings | None = None, *, mongo: Any = None, bus: Any = None,
               storage: Any = None, provider: Any = None, fetcher: Any = None):
    settings = settings or Settings()
    infra = build_infra(settings, mongo=mongo, bus=bus)
    storage = storage or create_storage(settings)
    relay = OutboxRelay(infra.bus, [infra.db["models"], infra.db[queues.COLLECTION]],
                        interval=settings.OUTBOX_POLL_INTERVAL)
    queue = queues.QueueControl("model_generation", "modeling", queues.QueueConfig(
        concurrency=settings.MODEL_WORKER_CONCURRENCY, timeout=settings.MODEL_ATTEMPT_TIMEOUT,
        retries=settings.MODEL_MAX_ATTEMPTS - 1), infra.db[queues.COLLECTION],
        on_outbox=relay.kick, refresh=settings.QUEUE_CONFIG_REFRESH,
        counts=queues.JobCounts(
            infra.db["models"], waiting={"job.status": {"$in": ["PENDING", "RETRYING"]}},
            running={"job.status": "RUNNING"}, completed={"job.status": "COMPLETED"},
            failed={"job.status": "FAILED"}),
        feed="modeling.image.selected",
        retry_delay=(settings.MODEL_RETRY_BASE_DELAY, settings.MODEL_RETRY_MAX_DELAY))
    start_queues, stop_queues = queues.lifecycle(infra.bus, "modeling", [queue])
    repo = MongoModelRepository(infra.db, on_outbox=relay.kick)
    fetcher = fetcher or SafeFetcher(
        allowed_hosts=settings.fetch_allowed_hosts,
        allow_http=settings.MODEL_FETCH_ALLOW_HTTP, timeout=settings.MODEL_FETCH_TIMEOUT)
    loader = ImageLoader(storage, fetcher, max_bytes=settings.MODEL_IMAGE_MAX_BYTES)
    provider = provider or create_provider(settings, fetcher=fetcher)
    worker = ModelWorker(repo=repo, provider=provider, storage=storage, loader=loader,
                         settings=settings, queue=queue)
    queue.on_change(worker.wake)
    deps = Deps(repo=repo, storage=storage, settings=settings, wake_worker=worker.wake)
    processed = ProcessedEvents(infra.db["processed_events"])

    async def startup() -> None:
        await repo.ensure_indexes()
        await processed.ensure_indexes()
        await start_queues()
        worker.start()  # also resumes jobs left PENDING/RETRYING/RUNNING by a previous run

    async def shutdown() -> None:
        await worker.stop()
        await stop_queues()
        client = getattr(provider, "client", None)
        if client is not None and hasattr(client, "aclose"):
            await client.aclose()

    app = create_service_app(
        infra=infra, title="Lumi modeling", routers=[api.router, queues_api.router],
        subscriptions=subscriptions(deps, processed), relay=relay,
        startup=[startup], shutdown=[shutdown], ready_checks={"storage": storage.ping},
        description="3D models: image selected -> 3D provider -> model files; own models.")
    app.state.modeling = deps
    app.state.worker = worker
    app.state.queues = {queue.name: queue}
    app.state.relay = relay
    return app


def run() -> None:
    run_service(Settings, create_app)
