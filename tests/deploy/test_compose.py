"""docker-compose.yml: parses, publishes only the gateway, waits for healthy dependencies."""

import importlib
import re
from pathlib import Path

import pytest
import yaml

from deploy.services import SERVICES

ROOT = Path(__file__).resolve().parents[2]
INFRA = {"rabbitmq", "mongo"}
STORAGE_USERS = {"generation", "modeling"}


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def default_of(value: str) -> str:
    """The value compose uses when the variable is unset: `${VAR:-default}` -> default."""
    match = re.fullmatch(r"\$\{(\w+):-([^}]*)\}", value)
    assert match, f"{value!r} is not ${{VAR:-default}}"
    return match.group(2)


def test_compose_has_the_infra_and_the_six_services(compose):
    assert set(compose["services"]) == {*SERVICES, "rabbitmq", "mongo", "minio", "minio-init"}
    assert compose["services"]["rabbitmq"]["image"] == "rabbitmq:3.13-management"
    assert compose["services"]["mongo"]["image"] == "mongo:7"


def test_only_the_gateway_publishes_a_port(compose):
    published = {name: svc["ports"] for name, svc in compose["services"].items() if svc.get("ports")}
    assert published == {"gateway": ["8000:8000"]}


def test_infra_has_healthchecks_and_mongo_is_an_initiated_replica_set(compose):
    services = compose["services"]
    assert services["rabbitmq"]["healthcheck"]["test"] == ["CMD", "rabbitmq-diagnostics", "-q", "ping"]
    mongo = services["mongo"]
    assert mongo["command"][:2] == ["--replSet", "rs0"]
    assert "rs.initiate" in " ".join(mongo["healthcheck"]["test"])
    assert services["minio"]["healthcheck"]["test"]
    init = services["minio-init"]
    assert init["depends_on"] == {"minio": {"condition": "service_healthy"}}
    assert "anonymous set download" in " ".join(init["command"])


@pytest.mark.parametrize("name", list(SERVICES))
def test_each_service_is_built_from_its_dockerfile_with_a_healthcheck(compose, name):
    svc = compose["services"][name]
    assert svc["build"] == {"context": ".", "dockerfile": f"services/{name}/Dockerfile"}
    assert (ROOT / svc["build"]["dockerfile"]).is_file()
    check = " ".join(svc["healthcheck"]["test"])
    assert f"127.0.0.1:{SERVICES[name]}/healthz" in check
    assert svc["healthcheck"]["test"][:2] == ["CMD", "python"]


@pytest.mark.parametrize("name", list(SERVICES))
def test_each_service_waits_for_healthy_dependencies(compose, name):
    depends = compose["services"][name]["depends_on"]
    for dep in INFRA:
        assert depends[dep] == {"condition": "service_healthy"}
    if name == "gateway":
        for other in SERVICES.keys() - {"gateway"}:
            assert depends[other] == {"condition": "service_healthy"}
    if name in STORAGE_USERS:
        assert depends["minio-init"] == {"condition": "service_completed_successfully"}
    for dep, spec in depends.items():
        assert spec["condition"] in ("service_healthy", "service_completed_successfully"), dep


@pytest.mark.parametrize("name", list(SERVICES))
def test_each_service_gets_its_settings(compose, name):
    env = compose["services"][name]["environment"]
    assert env["PORT"] == str(SERVICES[name])
    assert env["HOST"] == "0.0.0.0"
    assert env["STORAGE_BACKEND"] == "s3" and env["S3_ENDPOINT"] == "http://minio:9000"
    assert env["S3_BUCKET"] == "lumi" and default_of(env["S3_PUBLIC_BASE_URL"]).endswith("/lumi")
    assert "@rabbitmq:5672" in env["RABBITMQ_URL"]
    assert env["MONGODB_URL"].startswith("mongodb://mongo:27017/") and "replicaSet=rs0" in env["MONGODB_URL"]
    assert env["LUMI_DATA_DIR"].startswith("/tmp/")
    assert "/tmp" in compose["services"][name]["tmpfs"] and compose["services"][name]["read_only"]


def test_internal_urls_point_at_the_compose_services(compose):
    services = compose["services"]
    urls = {f"{n.upper()}_URL": f"http://{n}:{p}" for n, p in SERVICES.items()}
    for name, wanted in {"gateway": set(urls) - {"GATEWAY_URL"},
                         "auth": {"GENERATION_URL", "MODELING_URL", "GALLERY_URL"},
                         "generation": {"AUTH_URL"}, "gallery": {"AUTH_URL"}}.items():
        for key in wanted:
            assert services[name]["environment"][key] == urls[key], (name, key)


def test_default_secrets_are_dev_only_and_refused_in_prod(compose):
    from lumi_shared.settings import BaseServiceSettings

    gateway = compose["services"]["gateway"]["environment"]
    auth = compose["services"]["auth"]["environment"]
    assert default_of(gateway["LUMI_ENV"]) == "dev"
    for value in (gateway["IDENTITY_SECRET"], auth["CODE_HMAC_KEY"]):
        assert "change-me" in default_of(value)
    with pytest.raises(ValueError, match="IDENTITY_SECRET"):
        BaseServiceSettings(LUMI_ENV="prod", IDENTITY_SECRET=default_of(gateway["IDENTITY_SECRET"]))


@pytest.mark.parametrize("name", list(SERVICES))
def test_each_service_accepts_its_compose_environment(compose, monkeypatch, name):
    """The service's own Settings load from what compose passes (defaults of ${VAR:-x} applied,
    pass-through variables unset)."""
    for key, value in compose["services"][name]["environment"].items():
        if value is None:
            monkeypatch.delenv(key, raising=False)
        else:
            monkeypatch.setenv(key, re.sub(r"\$\{\w+:-([^}]*)\}", r"\1", value))
            assert "${" not in value or value.count("${") == value.count(":-"), value
    settings = importlib.import_module(f"{name}.config").Settings()
    assert settings.PORT == SERVICES[name]
    assert settings.LUMI_ENV == "dev" and settings.STORAGE_BACKEND == "s3"
