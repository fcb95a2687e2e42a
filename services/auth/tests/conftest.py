"""Fixtures of the auth service tests: a fake clock and mailer, fresh stores, the running app."""

import asyncio
import inspect
import random
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from auth.config import Settings
from auth.main import create_app
from auth.providers.mail import MailMessage
from auth.service.stats import zero_stats
from lumi_shared.docstore import InMemoryClient
from lumi_shared.identity import service_identity_header
from lumi_shared.testing import from_ip, wait_for


class FakeClock:
    # Starts right after a day boundary: limits use fixed windows (hour, day), and a clock
    # started from the real time made window-counting tests fail near the full hour. The
    # boundary is the NEXT one, so every `expires_at` the tests write lies in the future and a
    # real server's TTL monitor never deletes a document mid-test.
    START = (datetime.now(UTC) + timedelta(days=1)).replace(hour=0, minute=0, second=30,
                                                            microsecond=0)

    def __init__(self) -> None:
        self.now = self.START

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


class RecordingMailer:
    def __init__(self) -> None:
        self.messages: list[MailMessage] = []

    async def send(self, message: MailMessage) -> None:
        self.messages.append(message)

    def codes_for(self, email: str) -> list[str]:
        return [re.search(r"\b(\d{4,8})\b", m.body).group(1)
                for m in self.messages if m.to == email.strip().lower()]

    async def code_for(self, email: str, count: int = 1) -> str:
        await wait_for(lambda: len(self.codes_for(email)) >= count)
        return self.codes_for(email)[-1]


@pytest.fixture
def mailer() -> RecordingMailer:
    return RecordingMailer()


class FakeStats:
    def __init__(self, **numbers: int) -> None:
        self.numbers = numbers
        self.fail = False

    async def for_user(self, user_id: str) -> dict[str, int]:
        if self.fail:
            raise RuntimeError("stats backend exploded")
        return {**zero_stats(), **self.numbers}

    async def aclose(self) -> None:
        pass


@pytest.fixture
def stats() -> FakeStats:
    return FakeStats(totalModels=3, totalRequests=4)


class _InterleavedCollection:
    """Yields to the event loop around every database call, in a seeded random pattern, so
    concurrent use cases interleave between their reads and writes as they would on MongoDB
    (the in-process store alone never suspends, which would serialize them)."""

    def __init__(self, inner: Any, rng: random.Random) -> None:
        self._inner, self._rng = inner, rng

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._inner, name)
        if not inspect.iscoroutinefunction(attr):
            return attr

        async def call(*args: Any, **kwargs: Any) -> Any:
            for _ in range(self._rng.randint(1, 3)):
                await asyncio.sleep(0)
            result = await attr(*args, **kwargs)
            for _ in range(self._rng.randint(0, 2)):
                await asyncio.sleep(0)
            return result

        return call


class InterleavedDatabase:
    def __init__(self, seed: int = 7) -> None:
        self._inner = InMemoryClient()["interleaved"]
        self._rng = random.Random(seed)

    def __getitem__(self, name: str) -> _InterleavedCollection:
        return _InterleavedCollection(self._inner[name], self._rng)


def make_settings(**overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "LUMI_ENV": "test", "OUTBOX_POLL_INTERVAL": 0.05, "ADMIN_EMAILS": "",
        "STARTING_CREDITS": 10, "SMTP_URL": None, "GENERATION_URL": "", "MODELING_URL": "",
        "GALLERY_URL": "", "SESSION_COOKIE_NAME": "lumi_session",
        "SESSION_COOKIE_SECURE": None, "SESSION_TTL_SECONDS": 30 * 24 * 3600}
    values.update(overrides)
    return Settings(**values)


@pytest.fixture
def settings() -> Settings:
    return make_settings()


@pytest.fixture
async def app(settings, mongo, mailer, clock, stats):
    """The app `client` (lumi_shared.test_fixtures) talks to; `mongo` is a fresh store."""
    return create_app(settings, mongo=mongo, mailer=mailer, clock=clock, stats=stats)


@pytest.fixture
def settings_factory():
    return make_settings


@pytest.fixture
def sign_in(client, mailer, clock):
    """Ask for a code, read it from the mailer, log in; returns the login response."""

    async def _sign_in(email: str, path: str = "/api/auth/login",
                       ip: str = "10.0.0.1") -> httpx.Response:
        sent = len(mailer.codes_for(email))
        response = await client.post("/api/auth/send-code", json={"email": email},
                                     headers=from_ip(ip))
        assert response.status_code == 200, response.text
        code = await mailer.code_for(email, sent + 1)
        response = await client.post(path, json={"email": email, "code": code})
        assert response.status_code == 200, response.text
        clock.advance(seconds=61)  # past the resend cooldown for the next sign-in
        return response

    return _sign_in


@pytest.fixture
def as_service(settings) -> dict[str, str]:
    return service_identity_header("gateway", settings.IDENTITY_SECRET)


@pytest.fixture(params=["in-process", "interleaved"])
def unit_db(request) -> Any:
    """A fresh database for use-case tests: the plain store and an interleaving one."""
    if request.param == "interleaved":
        return InterleavedDatabase()
    return InMemoryClient()["auth_unit"]


