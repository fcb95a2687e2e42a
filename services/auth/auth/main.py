"""Composition root of the auth service (codes, sessions, users, credits)."""

from typing import Any

import httpx

from lumi_shared.messaging import OutboxRelay, ProcessedEvents
from lumi_shared.service import build_infra, create_service_app, run_service

from .api import routers
from .config import Settings
from .consumers import subscriptions
from .deps import Deps
from .domain import Clock, system_clock
from .providers.mail import MailDispatcher, Mailer, create_mailer
from .repository import Repositories
from .service.stats import InternalStats, StatsSource


def create_app(settings: Settings | None = None, *, mongo: Any = None, bus: Any = None,
               mailer: Mailer | None = None, clock: Clock | None = None,
               stats: StatsSource | None = None,
               stats_transport: httpx.AsyncBaseTransport | None = None):
    settings = settings or Settings()
    infra = build_infra(settings, mongo=mongo, bus=bus)
    relay = OutboxRelay(infra.bus, [infra.db["sessions"]],
                        interval=settings.OUTBOX_POLL_INTERVAL)
    repos = Repositories(infra.db, on_outbox=relay.kick)
    mail = MailDispatcher(mailer or create_mailer(settings))
    stats_source = stats or InternalStats(settings, transport=stats_transport)
    deps = Deps(settings=settings, clock=clock or system_clock, repos=repos,
                mail=mail, stats=stats_source, relay=relay)

    async def shutdown() -> None:
        await mail.drain()
        await stats_source.aclose()

    processed = ProcessedEvents(infra.db["processed_events"])
    app = create_service_app(
        infra=infra, title="Lumi auth",
        description="E-mail code login, sessions, user profiles and the credits wallet.",
        routers=routers, relay=relay, subscriptions=subscriptions(deps, processed),
        startup=[repos.ensure_indexes, processed.ensure_indexes], shutdown=[shutdown])
    app.state.auth = deps
    return app


def run() -> None:
    run_service(Settings, create_app)
