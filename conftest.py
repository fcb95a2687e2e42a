"""Test-wide rules. Real infrastructure is reached only by tests that ask for it.

`RABBITMQ_URL` and `MONGODB_URL` are moved out of the environment before any test runs, so
settings built inside ordinary unit and integration tests always use the in-process broker and
store. Tests for the real servers take the `rabbit_url` / `mongo_url` fixtures: they skip when
the variable was not set, and FAIL when it was set but the server does not answer.
"""

import os
import socket
from urllib.parse import urlparse

import pytest

# storage, mongo, bus, recorder: shared by the services' tests (a conftest may override them)
pytest_plugins = ["lumi_shared.test_fixtures"]

REAL = {name: os.environ.pop(name, None) for name in ("RABBITMQ_URL", "MONGODB_URL")}


def _reachable_or_fail(name: str, default_port: int) -> str:
    url = REAL[name]
    if not url:
        pytest.skip(f"{name} is not set (CI sets RABBITMQ_URL; MONGODB_URL where a mongod exists)")
    parsed = urlparse(url.split(",")[0])
    try:
        socket.create_connection((parsed.hostname, parsed.port or default_port), timeout=3).close()
    except OSError as exc:
        pytest.fail(f"{name}={url} is set but unreachable: {exc}")
    return url


@pytest.fixture(scope="session")
def rabbit_url() -> str:
    return _reachable_or_fail("RABBITMQ_URL", 5672)


@pytest.fixture(scope="session")
def mongo_url() -> str:
    return _reachable_or_fail("MONGODB_URL", 27017)


def pytest_configure(config: pytest.Config) -> None:
    # Collection-time view of the real servers (e.g. tests/e2e runs its flows once per store).
    config.real_servers = {name: url for name, url in REAL.items() if url}
