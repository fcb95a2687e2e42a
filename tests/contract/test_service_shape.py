"""docs/internals.md "Service shape" is true of the code: every service has the common rooms,
and every module or package of a service is named either among the common rooms or in that
service's own line of the document (the gateway: its paragraph)."""

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOC = (ROOT / "docs" / "internals.md").read_text()
SHAPE = DOC[DOC.index("## Service shape"):DOC.index("## Changing state")]
COMMON_BLOCK = SHAPE[SHAPE.index("```") + 3:SHAPE.index("```", SHAPE.index("```") + 3)]
COMMON = set(re.findall(r"^([a-z_]+)(?:\(s\))?(?:\.py|/)?\s", COMMON_BLOCK, re.M)) | {"schemas"}
# Rooms every service except the gateway has (a module or a package of that name).
REQUIRED = ("main", "deps", "config", "consumers", "api", "service", "domain", "repository")
SERVICES = ("auth", "gallery", "generation", "modeling", "printing")


def rooms(service: str) -> set[str]:
    package = ROOT / "services" / service / service
    return {p.stem if p.suffix == ".py" else p.name for p in package.iterdir()
            if (p.suffix == ".py" or (p.is_dir() and (p / "__init__.py").exists()))
            and p.name != "__init__.py"}


def described(service: str) -> str:
    if service == "gateway":
        start = SHAPE.index("The gateway keeps")
        return SHAPE[start:SHAPE.index("`lumi_shared.service.create_service_app`", start)]
    row = re.search(rf"^\| {service} \|.*$", SHAPE, re.M)
    assert row, f"docs/internals.md has no table row for {service}"
    return row.group(0)


@pytest.mark.parametrize("service", SERVICES)
def test_every_service_has_the_common_rooms(service):
    assert not set(REQUIRED) - rooms(service)
    tests = ROOT / "services" / service / "tests"
    assert (tests / "unit").is_dir() and (tests / "integration").is_dir()


@pytest.mark.parametrize("service", (*SERVICES, "gateway"))
def test_every_room_is_written_down(service):
    text = described(service)
    named = set(re.findall(r"`([a-z_]+)(?:/|\.py)?[`(. ]", text))
    unknown = sorted(r for r in rooms(service) - COMMON if r not in named)
    assert not unknown, f"{service}: rooms not in docs/internals.md: {unknown}"
