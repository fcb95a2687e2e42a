import httpx
import pytest

from lumi_embedded.harness import FAST
from lumi_embedded.system import running_system


@pytest.fixture
async def system(tmp_path):
    async with running_system(tmp_path, overrides=FAST) as running:
        yield running


@pytest.fixture
async def client(system):
    async with httpx.AsyncClient(base_url=system.url, timeout=10) as http:
        yield http


def service_url(system, name: str) -> str:
    """The loopback address of one service's own port (not through the gateway)."""
    return f"http://127.0.0.1:{system.apps[name].state.settings.PORT}"
