"""Composition root of the gallery service (public catalogue, likes, favorites, downloads)."""

from typing import Any

from lumi_shared.internal import InternalClient
from lumi_shared.messaging import ProcessedEvents
from lumi_shared.service import build_infra, create_service_app, run_service

from .api import routers
from .cache import PageCache
from .config import Settings
from .consumers import subscriptions
from .deps import Deps
from .providers.users import AuthUserDirectory, NoUserDirectory, UserDirectory
from .repository import MongoCatalogueRepository, MongoInteractionRepository


def build_user_directory(settings: Settings) -> UserDirectory:
    if not settings.AUTH_URL:
        return NoUserDirectory()
    client = InternalClient(settings.AUTH_URL, caller=settings.SERVICE_NAME,
                            secret=settings.IDENTITY_SECRET,
                            timeout=settings.USER_LOOKUP_TIMEOUT)
    return AuthUserDirectory(client, ttl=settings.USER_CACHE_SECONDS)


def create_app(settings: Settings | None = None, *, mongo: Any = None, bus: Any = None,
               user_directory: UserDirectory | None = None, catalogue: Any = None,
               interactions: Any = None):
    settings = settings or Settings()
    infra = build_infra(settings, mongo=mongo, bus=bus)
    catalogue = catalogue or MongoCatalogueRepository(infra.db)
    interactions = interactions or MongoInteractionRepository(infra.db)
    directory = user_directory or build_user_directory(settings)
    processed = ProcessedEvents(infra.db["processed_events"])
    deps = Deps(settings, catalogue, interactions, directory,
                PageCache(settings.LIST_CACHE_SECONDS))

    async def create_indexes() -> None:
        await catalogue.ensure_indexes(settings.VIEW_DEDUPE_SECONDS)
        await interactions.ensure_indexes()
        await processed.ensure_indexes()

    app = create_service_app(
        infra=infra, title="Lumi gallery", routers=routers,
        subscriptions=subscriptions(deps, processed),
        startup=[create_indexes], shutdown=[directory.aclose],
        description="Public catalogue of 3D models, likes, favorites and downloads.")
    app.state.gallery = deps
    return app


def run() -> None:
    run_service(Settings, create_app)
