import os
import socket
from urllib.parse import urlparse

import pytest


@pytest.fixture(scope="session")
def rabbit_url() -> str:
    """The real broker. Skips when RABBITMQ_URL is unset; FAILS when it is set but unreachable."""
    url = os.environ.get("RABBITMQ_URL")
    if not url:
        pytest.skip("RABBITMQ_URL is not set (CI sets it; `make test` runs these there)")
    parsed = urlparse(url)
    try:
        socket.create_connection((parsed.hostname, parsed.port or 5672), timeout=3).close()
    except OSError as exc:
        pytest.fail(f"RABBITMQ_URL={url} is set but unreachable: {exc}")
    return url
