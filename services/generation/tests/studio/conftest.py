"""Studio-tools fixtures: the generation app wired to a real auth app (wallet, refunds) on one
in-process store and bus, a fake provider, and result downloads served by a fake CDN."""

import io
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from PIL import Image

from auth.config import Settings as AuthSettings
from auth.main import create_app as auth_app
from generation.config import Settings
from generation.main import create_app
from generation.providers.base import ProviderError
from generation.studio import webhooks
from generation.studio.providers.kie import ProviderTask
from lumi_shared.docstore import InMemoryClient
from lumi_shared.fetch import SafeFetcher
from lumi_shared.messaging import InMemoryBus
from lumi_shared.testing import as_user, running, started

CDN = "cdn.provider.test"
SECRET = "whsec_" + "dGVzdC1zdHVkaW8td2ViaG9vay1zZWNyZXQtMDEyMzQ1Njc4OQ=="


def png(color=(200, 40, 40)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (24, 32), color).save(out, "PNG")
    return out.getvalue()


class FakeProvider:
    def __init__(self) -> None:
        self.created: list[dict[str, Any]] = []
        self.records: dict[str, ProviderTask] = {}
        self.fail_create: str | None = None
        self.before_return: Any = None  # e.g. a callback that beats the create answer

    async def create_task(self, **kwargs: Any) -> str:
        if self.fail_create:
            raise ProviderError(self.fail_create, retryable=False)
        task_id = f"task-{len(self.created) + 1}"
        self.created.append({**kwargs, "task_id": task_id})
        self.records[task_id] = ProviderTask(task_id, "running")
        if self.before_return:
            await self.before_return(task_id, kwargs)
        return task_id

    async def query_task(self, task_id: str) -> ProviderTask:
        return self.records[task_id]

    async def aclose(self) -> None:
        pass


def cdn_fetcher() -> SafeFetcher:
    async def resolver(host: str, port: int) -> list[str]:
        return ["93.184.216.34"]

    def serve(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/missing.png"):
            return httpx.Response(404)
        return httpx.Response(200, content=png(), headers={"content-type": "image/png"})

    return SafeFetcher(allowed_hosts=(CDN,), resolver=resolver,
                       transport=httpx.MockTransport(serve))


class Studio:
    def __init__(self, gen: httpx.AsyncClient, auth: httpx.AsyncClient, app: Any, auth_app: Any,
                 bus: InMemoryBus, provider: FakeProvider) -> None:
        self.gen, self.auth, self.app, self.auth_app = gen, auth, app, auth_app
        self.bus, self.provider = bus, provider
        self.studio = app.state.studio

    async def user(self, email: str, balance: int = 10) -> str:
        users = self.auth_app.state.auth.repos.users
        user, _ = await users.upsert_on_login(email, datetime.now(UTC))
        if balance != 10:
            response = await self.auth.post(f"/api/admin/credits/{user.id}",
                                            headers=as_user("admin", "admin"),
                                            json={"amount": balance - 10, "reason": "test"})
            assert response.status_code == 200, response.text
        return user.id

    async def balance(self, user_id: str) -> int:
        response = await self.auth.get("/api/credits", headers=as_user(user_id))
        return response.json()["data"]["balance"]

    async def ledger(self, user_id: str) -> list[tuple[str, int]]:
        response = await self.auth.get("/api/credits", headers=as_user(user_id),
                                       params={"limit": 100})
        return [(e["kind"], e["delta"]) for e in response.json()["data"]["entries"]]

    async def create(self, user_id: str, headers: dict | None = None, **body: Any):
        payload = {"gen_type": "action-figure", "model_uuid": "google/nano-banana",
                   "batch_size": 1, "template_id": "toy_pack", **body}
        return await self.gen.post("/api/anime-generation/create-task", json=payload,
                                   headers={**as_user(user_id), **(headers or {})})

    async def status(self, generation_id: str, user_id: str | None):
        headers = as_user(user_id) if user_id else {}
        return await self.gen.get(f"/api/generation/status/{generation_id}", headers=headers)

    async def webhook(self, payload: Any, *, msg_id: str = "msg_1", secret: str = SECRET,
                      now: float | None = None, raw: bytes | None = None,
                      query: str = "") -> httpx.Response:
        import json
        body = raw if raw is not None else json.dumps(payload).encode()
        headers = webhooks.signed_headers(secret, msg_id, body, now=now)
        return await self.gen.post(f"/api/generation/webhook{query}", content=body,
                                   headers=headers)

    async def settle(self) -> None:
        relay = self.app.state.generation.relay
        for _ in range(50):
            before = self.bus.published
            await relay.run_once()
            await self.bus.drain()
            if self.bus.published == before:
                return


def success_payload(task_id: str, urls: list[str] | None = None) -> dict:
    import json
    urls = urls if urls is not None else [f"https://{CDN}/r/{task_id}/0.png"]
    return {"code": 200, "msg": "ok", "data": {"taskId": task_id, "state": "success",
                                               "resultJson": json.dumps({"resultUrls": urls})}}


def fail_payload(task_id: str, message: str = "content policy") -> dict:
    return {"code": 501, "msg": "fail", "data": {"taskId": task_id, "state": "fail",
                                                 "failMsg": message}}


@pytest.fixture
def studio_settings(tmp_path) -> Settings:
    return Settings(LUMI_ENV="test", LUMI_DATA_DIR=tmp_path, SWEEP_INTERVAL=0,
                    STORAGE_PUBLIC_BASE_URL="http://files.test/files", STUDIO_PROVIDER="kie",
                    KIE_API_KEY="test-key", STUDIO_RESULT_HOSTS=CDN,
                    STUDIO_WEBHOOK_SECRET=SECRET, STUDIO_RECONCILE_INTERVAL=3600,
                    OUTBOX_POLL_INTERVAL=3600, GENERATION_MAX_IN_FLIGHT=0,
                    GENERATION_RATE_PER_MINUTE=0)


@asynccontextmanager
async def open_studio(settings: Settings, clock: Any) -> AsyncIterator[Studio]:
    bus, store, provider = InMemoryBus(retry_base_delay=0.0), InMemoryClient(), FakeProvider()
    async with started(bus):
        auth = auth_app(AuthSettings(LUMI_ENV="test", STARTING_CREDITS=10,
                                     OUTBOX_POLL_INTERVAL=3600), mongo=store, bus=bus)
        app = create_app(settings, mongo=store, bus=bus, clock=clock, studio={
            "provider": provider, "credits_transport": httpx.ASGITransport(app=auth),
            "result_fetcher": cdn_fetcher(), "reference_fetcher": cdn_fetcher()})
        async with running(auth) as auth_client, running(app) as gen_client:
            yield Studio(gen_client, auth_client, app, auth, bus, provider)


@pytest.fixture
async def studio(studio_with) -> AsyncIterator[Studio]:
    async with studio_with() as opened:
        yield opened


@pytest.fixture
def studio_with(studio_settings, clock):
    """`async with studio_with(**setting_updates) as studio:`"""
    def factory(**updates: Any):
        chosen = studio_settings.model_copy(update=updates) if updates else studio_settings
        return open_studio(chosen, clock)
    return factory
