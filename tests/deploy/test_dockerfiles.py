"""services/<name>/Dockerfile: present, generated from the template, multi-stage, non-root."""

import glob
import json
import re
import tomllib
from pathlib import Path

import pytest

from deploy import dockerfiles
from deploy.services import SERVICES, UID, WORKSPACE_MEMBERS

ROOT = Path(__file__).resolve().parents[2]
services = pytest.mark.parametrize("name", list(SERVICES))


def instructions(text: str) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with continuation lines joined and comments dropped."""
    out, pending = [], ""
    for line in text.splitlines():
        stripped = line.strip()
        if not pending and (not stripped or stripped.startswith("#")):
            continue
        if stripped.endswith("\\"):
            pending += stripped[:-1] + " "
            continue
        full = (pending + stripped).strip()
        pending = ""
        word, _, rest = full.partition(" ")
        out.append((word.upper(), rest.strip()))
    return out


def final_stage(text: str) -> list[tuple[str, str]]:
    steps = instructions(text)
    last_from = max(i for i, (word, _) in enumerate(steps) if word == "FROM")
    return steps[last_from:]


@services
def test_each_service_has_its_dockerfile_generated_from_the_template(name):
    path = ROOT / "services" / name / "Dockerfile"
    assert path.is_file()
    assert path.read_text() == dockerfiles.render(name), "run: python -m deploy.dockerfiles"


def test_the_generator_check_mode_passes():
    assert dockerfiles.main(["--check"]) == 0


@services
def test_the_image_is_multi_stage_on_python_slim(name):
    text = (ROOT / "services" / name / "Dockerfile").read_text()
    steps = instructions(text)
    froms = [args for word, args in steps if word == "FROM"]
    assert len(froms) >= 3
    assert "ARG PYTHON_IMAGE=python:3.11-slim" in text
    assert froms[0] == "ghcr.io/astral-sh/uv:0.13.8 AS uv"
    assert "${PYTHON_IMAGE} AS builder" in froms and froms[-1] == "${PYTHON_IMAGE} AS runtime"
    runs = " ".join(args for word, args in steps if word == "RUN")
    assert f"uv sync --locked --no-dev --no-install-workspace --package lumi-{name}" in runs
    assert f"uv sync --locked --no-dev --no-editable --package lumi-{name}" in runs
    runtime = final_stage(text)
    assert not any("uv " in args for word, args in runtime if word == "RUN"), "no uv at runtime"
    assert ("COPY", "--from=builder /app/.venv /app/.venv") in runtime


@services
def test_the_runtime_runs_lumi_service_as_a_numeric_non_root_user(name):
    runtime = final_stage((ROOT / "services" / name / "Dockerfile").read_text())
    users = [args for word, args in runtime if word == "USER"]
    assert users == [f"{UID}:{UID}"] and UID != 0
    cmd = [args for word, args in runtime if word == "CMD"]
    assert [json.loads(c) for c in cmd] == [[f"lumi-{name}"]]
    assert ("EXPOSE", str(SERVICES[name])) in runtime
    env = " ".join(args for word, args in runtime if word == "ENV")
    for setting in ("HOST=0.0.0.0", "PYTHONUNBUFFERED=1", f"PORT={SERVICES[name]}"):
        assert setting in env
    healthcheck = [args for word, args in runtime if word == "HEALTHCHECK"]
    assert len(healthcheck) == 1
    command = json.loads(healthcheck[0].split("CMD", 1)[1])
    assert command[:2] == ["python", "-c"] and "/healthz" in command[2]


@services
def test_the_console_script_exists_in_the_service_package(name):
    project = tomllib.loads((ROOT / "services" / name / "pyproject.toml").read_text())["project"]
    assert project["name"] == f"lumi-{name}"
    assert f"lumi-{name}" in project["scripts"]


def test_the_images_copy_every_workspace_member_manifest():
    # uv --locked reads every member's pyproject.toml; a new member must be added to the images.
    root = tomllib.loads((ROOT / "pyproject.toml").read_text())
    members = sorted(
        str(Path(m).relative_to(ROOT)) for pattern in root["tool"]["uv"]["workspace"]["members"]
        for m in glob.glob(str(ROOT / pattern)) if (Path(m) / "pyproject.toml").is_file())
    assert sorted(WORKSPACE_MEMBERS) == members


@services
def test_every_copy_source_exists_and_is_not_dockerignored(name):
    ignored = [line.strip() for line in (ROOT / ".dockerignore").read_text().splitlines()
               if line.strip() and not line.startswith("#")]
    steps = instructions((ROOT / "services" / name / "Dockerfile").read_text())
    for word, args in steps:
        if word != "COPY" or args.startswith("--from"):
            continue
        for source in args.split()[:-1]:
            assert (ROOT / source).exists(), source
            top = source.rstrip("/").split("/")[0]
            assert top not in ignored and source.rstrip("/") not in ignored, source


def test_dockerignore_keeps_local_state_out_of_the_context():
    patterns = {line.strip() for line in (ROOT / ".dockerignore").read_text().splitlines()
                if line.strip() and not line.lstrip().startswith("#")}
    assert {".venv", ".tools", "var", ".git", "**/__pycache__", "**/.pytest_cache"} <= patterns
    assert "!embedded/pyproject.toml" in patterns
    for needed in ("pyproject.toml", "uv.lock", "shared", "services"):
        assert needed not in patterns
    assert not any(re.fullmatch(r"\*\*?/?\*?\.toml|\*\.lock", p) for p in patterns)
