"""Composition root of the generation service (tasks, prompt variants, image generation)."""

from collections.abc import Callable
from datetime import datetime
from typing import Any

from lumi_shared import queues, queues_api
from lumi_shared.messaging import OutboxRelay, ProcessedEvents
from lumi_shared.service import build_infra, create_service_app, run_service
from lumi_shared.storage import ObjectStorage, create_storage

from .api import internal_router, router
from .config import Settings
from .consumers import subscriptions
from .deps import Deps
from .domain.clock import utcnow_ms
from .domain.enums import IMAGE_ACTIVE_STATUSES
from .limits import GenerationLimits, tasks_in_flight
from .providers import (
    GuardedFetcher,
    ImageProvider,
    PromptWriter,
    create_fetcher,
    create_image_provider,
    create_prompt_writer,
)
from .providers.modeling import ModelingClient, ModelTruth
from .repository import MongoTaskRepository
from .studio import COLLECTION as STUDIO_COLLECTION
from .studio import build_studio
from .sweeper import Sweeper
from .worker import WAITING_IMAGES, ImageWorker


def create_app(settings: Settings | None = None, *, mongo: Any = None, bus: Any = None,
               storage: ObjectStorage | None = None, image_provider: ImageProvider | None = None,
               llm: PromptWriter | None = None, fetcher: GuardedFetcher | None = None,
               clock: Callable[[], datetime] = utcnow_ms, studio: dict[str, Any] | None = None,
               modeling: ModelTruth | None = None):
    """`studio`: overrides for `build_studio` (provider, credits_transport, fetchers)."""
    settings = settings or Settings()
    infra = build_infra(settings, mongo=mongo, bus=bus)
    tasks = infra.db["tasks"]
    relay = OutboxRelay(infra.bus, [tasks, infra.db[STUDIO_COLLECTION], infra.db[queues.COLLECTION]],
                        interval=settings.OUTBOX_POLL_INTERVAL)
    queue = queues.QueueControl("image_generation", "generation", queues.QueueConfig(
        concurrency=max(1, settings.IMAGE_CONCURRENCY), timeout=settings.IMAGE_TIMEOUT,
        retries=max(0, settings.IMAGE_MAX_ATTEMPTS - 1)), infra.db[queues.COLLECTION],
        on_outbox=relay.kick, refresh=settings.QUEUE_CONFIG_REFRESH,
        counts=queues.JobCounts(  # tasks with images waiting / being generated
            tasks, waiting=WAITING_IMAGES,
            running={"deletedAt": None, "images": {"$elemMatch": {"imageStatus": "GENERATING"}}},
            completed={"phase": {"$ne": "IMAGE_GENERATION"}, "status": {"$ne": "IMAGE_FAILED"}},
            failed={"status": "IMAGE_FAILED"}),
        feed="generation.task.created", retry_delay=(settings.IMAGE_RETRY_BASE_DELAY, None))
    start_queues, stop_queues = queues.lifecycle(infra.bus, "generation", [queue])
    repo = MongoTaskRepository(tasks, on_outbox=relay.kick, clock=clock)
    storage = storage or create_storage(settings)
    fetcher = fetcher or create_fetcher(settings)
    image_provider = image_provider or create_image_provider(settings, fetcher)
    llm = llm or create_prompt_writer(settings)
    worker = ImageWorker(repo=repo, provider=image_provider, writer=llm, storage=storage,
                         settings=settings, queue=queue)
    modeling = modeling or ModelingClient(settings.MODELING_URL, secret=settings.IDENTITY_SECRET,
                                          timeout=settings.MODELING_TIMEOUT)
    sweeper = Sweeper(repo=repo, storage=storage, settings=settings, modeling=modeling,
                      images_paused=lambda: not queue.active,
                      images_busy=lambda: queue.in_flight > 0)
    processed = ProcessedEvents(infra.db["processed_events"])
    deps = Deps(settings, repo, storage, relay, worker, sweeper)
    studio_parts = build_studio(settings, infra.db, storage=storage, on_outbox=relay.kick,
                                clock=clock, **(studio or {}))
    limits = GenerationLimits(
        infra.db["generation_slots"], infra.db["rate_limits"],
        max_in_flight=settings.GENERATION_MAX_IN_FLIGHT,
        per_minute=settings.GENERATION_RATE_PER_MINUTE,
        in_flight=[tasks_in_flight(tasks, IMAGE_ACTIVE_STATUSES),
                   studio_parts.studio.repo.in_flight_ids])
    studio_parts.studio.limits = limits

    async def close_providers() -> None:
        for closable in (image_provider, llm, fetcher, modeling):
            await closable.aclose()
        await studio_parts.close()

    app = create_service_app(
        infra=infra, title="Lumi generation",
        description="Generation tasks: prompt variants, four images, selection, task view.",
        routers=[router, internal_router, queues_api.router, *studio_parts.routers],
        subscriptions=subscriptions(deps, processed),
        relay=relay,
        startup=[repo.ensure_indexes, processed.ensure_indexes, start_queues, sweeper.start,
                 studio_parts.studio.repo.ensure_indexes, limits.ensure_indexes,
                 studio_parts.reconciler.start],
        shutdown=[sweeper.stop, studio_parts.reconciler.stop, close_providers, stop_queues],
        ready_checks={"storage": storage.ping},
    )
    app.state.generation = deps
    app.state.queues = {queue.name: queue}
    app.state.studio = studio_parts.studio
    app.state.generation_limits = limits
    app.state.studio_reconciler = studio_parts.reconciler
    return app


def run() -> None:
    run_service(Settings, create_app)
