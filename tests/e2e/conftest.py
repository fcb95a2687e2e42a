import pytest

from lumi_embedded.harness import FAST
from lumi_embedded.system import running_system


@pytest.fixture
async def embedded(tmp_path):
    async with running_system(tmp_path, overrides=FAST) as system:
        yield system
