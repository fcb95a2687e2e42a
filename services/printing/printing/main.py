"""Composition root of the printing service (slicing, printers and print jobs)."""

from typing import Any

from lumi_shared import queues, queues_api
from lumi_shared.fetch import SafeFetcher
from lumi_shared.messaging import OutboxRelay, ProcessedEvents
from lumi_shared.service import build_infra, create_service_app, run_service
from lumi_shared.storage import create_storage

from .api import routers
from .config import Settings
from .consumers import subscriptions
from .deps import Deps
from .printers.registry import DeviceRegistry
from .repository import Repository
from .slicing import PrintProfile, create_slicer
from .workers import PrintWorker, SliceWorker


def create_app(settings: Settings | None = None, *, mongo: Any = None, bus: Any = None,
               storage: Any = None, slicer: Any = None, registry: DeviceRegistry | None = None,
               fetcher: Any = None):
    settings = settings or Settings()
    infra = build_infra(settings, mongo=mongo, bus=bus)
    storage = storage or create_storage(settings)
    relay_box: list[OutboxRelay] = []
    repo = Repository(infra.db, on_outbox=lambda: relay_box[0].kick())
    relay = OutboxRelay(infra.bus, [*repo.outbox_collections, infra.db[queues.COLLECTION]],
                        interval=settings.OUTBOX_POLL_INTERVAL)
    relay_box.append(relay)
    queue = queues.QueueControl("slicing", "printing", queues.QueueConfig(
        concurrency=settings.SLICE_WORKERS, timeout=settings.SLICE_TIMEOUT,
        retries=max(0, settings.SLICE_MAX_ATTEMPTS - 1)), infra.db[queues.COLLECTION],
        on_outbox=relay.kick, refresh=settings.QUEUE_CONFIG_REFRESH,
        counts=queues.JobCounts(infra.db["slices"], waiting={"status": "PENDING"},
                                running={"status": "PROCESSING"}, completed={"status": "COMPLETED"},
                                failed={"status": "FAILED"}))
    start_queues, stop_queues = queues.lifecycle(infra.bus, "printing", [queue])
    fetcher = fetcher or SafeFetcher(
        allowed_hosts=settings.host_list(settings.GCODE_FETCH_ALLOWED_HOSTS),
        allow_http=settings.GCODE_FETCH_ALLOW_HTTP, timeout=settings.PRINTER_REQUEST_TIMEOUT)
    profile = PrintProfile(layer_height=settings.SLICE_LAYER_HEIGHT,
                           infill_density=settings.SLICE_INFILL_DENSITY)
    registry = registry or DeviceRegistry(settings)
    deps = Deps(repo=repo, storage=storage, settings=settings, registry=registry,
                profile=profile, fetcher=fetcher)
    slicer = slicer or create_slicer(settings, fetcher=fetcher)
    slice_worker, print_worker = SliceWorker(deps, slicer, queue), PrintWorker(deps)
    deps.wake_slicer, deps.wake_printer = slice_worker.wake, print_worker.wake
    processed = ProcessedEvents(infra.db["processed_events"])

    async def startup() -> None:
        await repo.ensure_indexes()
        await processed.ensure_indexes()
        await start_queues()
        slice_worker.start()  # also resumes jobs whose lease a previous run left behind
        print_worker.start()

    async def shutdown() -> None:
        await print_worker.stop()
        await slice_worker.stop()
        await registry.aclose()
        await stop_queues()

    app = create_service_app(
        infra=infra, title="Lumi printing", routers=[*routers, queues_api.router],
        subscriptions=subscriptions(deps, processed), relay=relay,
        startup=[startup], shutdown=[shutdown], ready_checks={"storage": storage.ping},
        description="Slicing, printers and print jobs.")
    app.state.printing = deps
    app.state.workers = (slice_worker, print_worker)
    app.state.queues = {queue.name: queue}
    app.state.slicer = slicer
    return app


def run() -> None:
    run_service(Settings, create_app)
