"""Studio tools (the action-figure generator) inside the generation service: templates,
credit-charged generations, the signed provider webhook and the reconciler.

`build_studio` is called by the service's composition root; everything external (provider,
auth's wallet, downloads) can be replaced by tests.
"""

from dataclasses import dataclass, field
from typing import Any

import httpx
from fastapi import APIRouter

from lumi_shared.fetch import SafeFetcher
from lumi_shared.storage import ObjectStorage

from .api import router
from .catalog import load_catalog
from .providers.credits import AuthCredits
from .providers.kie import KieProvider
from .providers.simulated import SimulatedKie, simulated_router
from .reconciler import Reconciler
from .repository import StudioRepository
from .results import ImageCopier
from .service import Studio

COLLECTION = "studio_generations"


@dataclass
class StudioParts:
    studio: Studio
    reconciler: Reconciler
    routers: list[APIRouter]
    closers: list[Any] = field(default_factory=list)

    async def close(self) -> None:
        for closable in self.closers:
            await closable.aclose()


def build_studio(settings: Any, db: Any, *, storage: ObjectStorage, on_outbox: Any,
                 clock: Any = None, provider: Any = None,
                 credits_transport: httpx.AsyncBaseTransport | None = None,
                 result_fetcher: SafeFetcher | None = None,
                 reference_fetcher: SafeFetcher | None = None) -> StudioParts:
    repo = StudioRepository(db[COLLECTION], db["studio_webhook_ids"], on_outbox=on_outbox,
                            clock=clock)
    routers, closers = [router], []
    simulated = settings.STUDIO_PROVIDER == "simulated"
    if provider is None:
        if simulated:
            sim = SimulatedKie(public_url=settings.studio_self_url,
                               secret=settings.STUDIO_WEBHOOK_SECRET,
                               delay=settings.STUDIO_SIMULATED_DELAY)
            routers.append(simulated_router(sim))
            closers.append(sim)
            base_url, api_key = settings.STUDIO_PROVIDER_BASE_URL or \
                f"{settings.studio_self_url}/sim/kie", "simulated"
        else:
            base_url, api_key = settings.KIE_BASE_URL, settings.KIE_API_KEY
        provider = KieProvider(base_url=base_url, api_key=api_key,
                               timeout=settings.PROVIDER_HTTP_TIMEOUT)
    closers.append(provider)
    credits = AuthCredits(settings.AUTH_URL, secret=settings.IDENTITY_SECRET,
                          timeout=settings.CREDITS_TIMEOUT, transport=credits_transport)
    closers.append(credits)
    # The simulated provider serves its results from this very service over loopback http.
    results_fetch = result_fetcher or SafeFetcher(
        allowed_hosts=settings.studio_result_hosts, allow_http_loopback=simulated,
        timeout=settings.FETCH_TIMEOUT, connect_timeout=settings.FETCH_CONNECT_TIMEOUT,
        accept="image/*")
    reference_fetch = reference_fetcher or SafeFetcher(
        allowed_hosts=settings.fetch_allowed_hosts, timeout=settings.FETCH_TIMEOUT,
        connect_timeout=settings.FETCH_CONNECT_TIMEOUT, accept="image/*")
    max_bytes = settings.IMAGE_MAX_BYTES
    studio = Studio(settings=settings, repo=repo, catalog=load_catalog(), credits=credits,
                    provider=provider,
                    results=ImageCopier(storage, results_fetch, max_bytes=max_bytes,
                                        allowed_hosts=settings.studio_result_hosts),
                    references=ImageCopier(storage, reference_fetch, max_bytes=max_bytes,
                                           allowed_hosts=settings.fetch_allowed_hosts))
    return StudioParts(studio, Reconciler(studio), routers, closers)


__all__ = ["COLLECTION", "StudioParts", "build_studio"]
