"""The Kubernetes manifests, as rendered by deploy/render.py from the local overlay."""

import base64
import importlib
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from deploy.render import RenderError, build, render
from deploy.services import SERVICES, UID

ROOT = Path(__file__).resolve().parents[2]
K8S = ROOT / "deploy" / "k8s"
OVERLAY = K8S / "overlays" / "local"
INFRA = ("rabbitmq", "mongo", "minio")

# Who calls whom inside the cluster (docs/internals.md): the sources each service must accept.
CALLERS = {
    "gateway": None,  # anyone
    "auth": {"gateway", "generation", "gallery"},
    "generation": {"gateway", "auth"},
    "modeling": {"gateway", "auth"},
    "printing": {"gateway"},
    "gallery": {"gateway", "auth"},
}


@pytest.fixture(scope="module")
def resources() -> list[dict]:
    return build(OVERLAY)


def find(resources: list[dict], kind: str, name: str) -> dict:
    matches = [r for r in resources if r["kind"] == kind and r["metadata"]["name"] == name]
    assert len(matches) == 1, f"expected one {kind} {name}, found {len(matches)}"
    return matches[0]


def container(resources: list[dict], name: str) -> dict:
    containers = find(resources, "Deployment", name)["spec"]["template"]["spec"]["containers"]
    assert len(containers) == 1
    return containers[0]


services = pytest.mark.parametrize("name", list(SERVICES))


@services
def test_every_service_has_a_deployment_a_service_and_a_service_account(resources, name):
    deployment = find(resources, "Deployment", name)
    service = find(resources, "Service", name)
    account = find(resources, "ServiceAccount", name)
    pod = deployment["spec"]["template"]
    assert deployment["spec"]["selector"]["matchLabels"] == {"app": name}
    assert pod["metadata"]["labels"]["app"] == name
    assert service["spec"]["selector"] == {"app": name}
    assert service["spec"].get("type", "ClusterIP") == "ClusterIP"
    assert [(p["port"], p["targetPort"]) for p in service["spec"]["ports"]] == [(SERVICES[name], "http")]
    assert pod["spec"]["serviceAccountName"] == account["metadata"]["name"] == name
    assert account["automountServiceAccountToken"] is False
    assert pod["spec"]["automountServiceAccountToken"] is False


@services
def test_every_service_listens_on_its_port_with_the_image_of_the_overlay(resources, name):
    c = container(resources, name)
    assert c["image"] == f"lumi/{name}:dev"
    assert c["ports"] == [{"name": "http", "containerPort": SERVICES[name], "protocol": "TCP"}]
    assert {"name": "PORT", "value": str(SERVICES[name])} in c["env"]


@services
def test_probes_use_healthz_for_liveness_and_readyz_for_readiness(resources, name):
    c = container(resources, name)
    assert c["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "http"}
    assert c["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "http"}
    assert c["startupProbe"]["httpGet"]["path"] == "/healthz"


@services
def test_requests_and_limits_are_set_for_cpu_and_memory(resources, name):
    res = container(resources, name)["resources"]
    for bound in ("requests", "limits"):
        assert set(res[bound]) >= {"cpu", "memory"}, bound


@services
def test_pods_run_non_root_with_a_read_only_root_and_no_capabilities(resources, name):
    pod = find(resources, "Deployment", name)["spec"]["template"]["spec"]
    c = container(resources, name)
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["runAsUser"] == UID
    assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
    sc = c["securityContext"]
    assert sc["runAsNonRoot"] is True
    assert sc["readOnlyRootFilesystem"] is True
    assert sc["allowPrivilegeEscalation"] is False
    assert sc["capabilities"]["drop"] == ["ALL"]
    assert "add" not in sc["capabilities"]
    assert not sc.get("privileged", False)
    # The only writable path is an emptyDir at /tmp, where LUMI_DATA_DIR points.
    mounts = {m["mountPath"]: m["name"] for m in c["volumeMounts"]}
    volumes = {v["name"]: v for v in pod["volumes"]}
    assert "emptyDir" in volumes[mounts["/tmp"]]
    assert find(resources, "ConfigMap", "lumi-config")["data"]["LUMI_DATA_DIR"].startswith("/tmp/")


@services
def test_env_comes_from_the_config_map_and_the_secret(resources, name):
    c = container(resources, name)
    assert {"configMapRef": {"name": "lumi-config"}} in c["envFrom"]
    assert {"secretRef": {"name": "lumi-secrets"}} in c["envFrom"]


def test_config_map_and_secret_hold_the_settings(resources):
    config = find(resources, "ConfigMap", "lumi-config")["data"]
    for name, port in SERVICES.items():
        if name != "gateway":
            assert config[f"{name.upper()}_URL"] == f"http://{name}:{port}"
    assert config["HOST"] == "0.0.0.0"
    assert config["STORAGE_BACKEND"] == "s3"
    secret = find(resources, "Secret", "lumi-secrets")
    keys = set(secret["data"])
    assert {"IDENTITY_SECRET", "CODE_HMAC_KEY", "RABBITMQ_URL", "MONGODB_URL"} <= keys
    assert not keys & set(config), "a setting is both in the ConfigMap and the Secret"


def pod_value(entry: dict, name: str) -> str:
    """A container env entry as the kubelet resolves it (a fieldRef to the pod's name)."""
    if "value" in entry:
        return entry["value"]
    assert entry["valueFrom"]["fieldRef"]["fieldPath"] == "metadata.name", entry
    return f"{name}-5d8f7c9b6-x2k4q"


@services
def test_each_service_accepts_its_pod_environment(resources, monkeypatch, name):
    """The service's own Settings load from the ConfigMap + Secret + container env."""
    secret = find(resources, "Secret", "lumi-secrets")["data"]
    env = {**find(resources, "ConfigMap", "lumi-config")["data"],
           **{k: base64.b64decode(v).decode() for k, v in secret.items()},
           **{e["name"]: pod_value(e, name) for e in container(resources, name)["env"]}}
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    settings = importlib.import_module(f"{name}.config").Settings()
    assert (settings.PORT, settings.HOST, settings.STORAGE_BACKEND) == (SERVICES[name], "0.0.0.0", "s3")
    assert settings.database_name == f"lumi_{name}"


def test_service_credentials_match_the_infra_credentials(resources):
    def decoded(name: str) -> dict[str, str]:
        return {k: base64.b64decode(v).decode() for k, v in find(resources, "Secret", name)["data"].items()}

    app, infra = decoded("lumi-secrets"), decoded("lumi-infra-secrets")
    user, password = infra["RABBITMQ_DEFAULT_USER"], infra["RABBITMQ_DEFAULT_PASS"]
    assert app["RABBITMQ_URL"] == f"amqp://{user}:{password}@rabbitmq:5672/"
    assert (app["S3_ACCESS_KEY"], app["S3_SECRET_KEY"]) == (infra["MINIO_ROOT_USER"],
                                                            infra["MINIO_ROOT_PASSWORD"])
    config = find(resources, "ConfigMap", "lumi-config")["data"]
    assert config["S3_ENDPOINT"] == "http://minio:9000"
    assert config["S3_BUCKET"] == "lumi" and config["S3_PUBLIC_BASE_URL"].endswith("/lumi")


def test_local_overlay_is_dev_and_its_secrets_would_be_refused_in_prod(resources):
    from lumi_shared.settings import BaseServiceSettings

    assert find(resources, "ConfigMap", "lumi-config")["data"]["LUMI_ENV"] == "dev"
    base_config = find(build(K8S / "base"), "ConfigMap", "lumi-config")
    assert base_config["data"]["LUMI_ENV"] == "prod"
    secret = find(resources, "Secret", "lumi-secrets")["data"]
    identity = base64.b64decode(secret["IDENTITY_SECRET"]).decode()
    assert len(identity.encode()) >= 32
    with pytest.raises(ValueError, match="IDENTITY_SECRET"):
        BaseServiceSettings(LUMI_ENV="prod", IDENTITY_SECRET=identity)


def test_everything_is_in_the_lumi_namespace(resources):
    for r in resources:
        if r["kind"] == "Namespace":
            assert r["metadata"]["name"] == "lumi"
        else:
            assert r["metadata"]["namespace"] == "lumi", r["metadata"]["name"]


@pytest.mark.parametrize("name", INFRA)
def test_infra_runs_as_statefulsets_with_services(resources, name):
    statefulset = find(resources, "StatefulSet", name)
    find(resources, "Service", name)
    pod = statefulset["spec"]["template"]["spec"]
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["automountServiceAccountToken"] is False
    for c in pod["containers"]:
        assert c["securityContext"]["allowPrivilegeEscalation"] is False
        assert c["securityContext"]["capabilities"]["drop"] == ["ALL"]
        assert c["readinessProbe"] and c["livenessProbe"]
        assert set(c["resources"]["limits"]) >= {"cpu", "memory"}


def test_mongo_is_a_replica_set_that_the_services_address_as_one(resources):
    mongo = find(resources, "StatefulSet", "mongo")["spec"]["template"]["spec"]["containers"][0]
    assert mongo["args"][:2] == ["--replSet", "rs0"]
    assert "rs.initiate" in " ".join(mongo["readinessProbe"]["exec"]["command"])
    url = base64.b64decode(find(resources, "Secret", "lumi-secrets")["data"]["MONGODB_URL"]).decode()
    assert "replicaSet=rs0" in url
    assert find(resources, "Service", "mongo")["spec"]["publishNotReadyAddresses"] is True


# ---- network policies ------------------------------------------------------------------------

def _labels(resource: dict) -> dict:
    spec = resource["spec"]
    return (spec["template"]["metadata"]["labels"] if "template" in spec
            else resource["metadata"].get("labels", {}))


def _selects(selector: dict, labels: dict) -> bool:
    for key, value in (selector.get("matchLabels") or {}).items():
        if labels.get(key) != value:
            return False
    for expr in selector.get("matchExpressions") or []:
        op, key, values = expr["operator"], expr["key"], expr.get("values", [])
        if op == "In" and labels.get(key) not in values:
            return False
        if op == "NotIn" and labels.get(key) in values:
            return False
        if op == "Exists" and key not in labels:
            return False
        if op == "DoesNotExist" and key in labels:
            return False
    return True


def allowed_sources(resources: list[dict], target: dict) -> tuple[bool, set[str]]:
    """(reachable from anywhere, apps of the in-namespace pods allowed) for the target's pods."""
    pods = [r for r in resources if r["kind"] in ("Deployment", "StatefulSet", "Job")]
    policies = [p for p in resources if p["kind"] == "NetworkPolicy"
                and "Ingress" in p["spec"].get("policyTypes", ["Ingress"])
                and _selects(p["spec"]["podSelector"], _labels(target))]
    assert policies, f"{target['metadata']['name']} is not covered by any NetworkPolicy"
    anywhere, apps = False, set()
    for policy in policies:
        for rule in policy["spec"].get("ingress") or []:
            peers = rule.get("from")
            if not peers:
                anywhere = True
                continue
            for peer in peers:
                assert "ipBlock" not in peer and "namespaceSelector" not in peer, policy
                apps |= {_labels(p)["app"] for p in pods if _selects(peer["podSelector"], _labels(p))}
    return anywhere, apps


def test_a_default_deny_policy_covers_every_pod(resources):
    deny = find(resources, "NetworkPolicy", "default-deny-ingress")["spec"]
    assert deny["podSelector"] == {}
    assert deny["policyTypes"] == ["Ingress"]
    assert not deny.get("ingress")


def test_only_the_gateway_is_reachable_from_outside(resources):
    workloads = [r for r in resources if r["kind"] in ("Deployment", "StatefulSet", "Job")]
    exposed = {w["metadata"]["name"] for w in workloads if allowed_sources(resources, w)[0]}
    assert exposed == {"gateway"}
    gateway_policy = find(resources, "NetworkPolicy", "gateway-ingress")["spec"]["ingress"]
    assert [p["port"] for rule in gateway_policy for p in rule["ports"]] == [8000]


@pytest.mark.parametrize("name", [s for s in SERVICES if s != "gateway"])
def test_each_service_accepts_exactly_its_callers(resources, name):
    anywhere, apps = allowed_sources(resources, find(resources, "Deployment", name))
    assert not anywhere
    assert apps == CALLERS[name]


@pytest.mark.parametrize("name", INFRA)
def test_infra_accepts_only_the_lumi_services(resources, name):
    anywhere, apps = allowed_sources(resources, find(resources, "StatefulSet", name))
    assert not anywhere
    assert set(SERVICES) <= apps
    assert apps - set(SERVICES) <= {name, "minio-bucket"}


# ---- the renderer ----------------------------------------------------------------------------

def test_the_cli_prints_the_overlay_as_yaml():
    out = subprocess.run([sys.executable, "-m", "deploy.render", "deploy/k8s/overlays/local"],
                         cwd=ROOT, capture_output=True, text=True, timeout=60, check=True).stdout
    docs = list(yaml.safe_load_all(out))
    assert docs == build(OVERLAY)
    assert docs[0]["kind"] == "Namespace"


def kubectl_kustomize(path: Path) -> list[dict]:
    """The real kustomize's rendering (kubectl's built-in one), or skip the test without it."""
    if shutil.which("kubectl") is None:
        pytest.skip("kubectl not installed")
    try:
        proc = subprocess.run(["kubectl", "kustomize", str(path)], capture_output=True,
                              text=True, timeout=120)
    except subprocess.TimeoutExpired:
        pytest.skip("kubectl kustomize did not answer")
    if proc.returncode != 0 and "unknown command" in proc.stderr:
        pytest.skip("this kubectl has no kustomize")
    assert proc.returncode == 0, proc.stderr
    return list(yaml.safe_load_all(proc.stdout))


@pytest.mark.parametrize("path", ["overlays/local", "base", "infra", "components/network-policies"])
def test_the_renderer_matches_kubectl_kustomize(path):
    assert kubectl_kustomize(K8S / path) == list(yaml.safe_load_all(render(K8S / path)))


def write_kustomization(directory: Path, body: str, **files: str) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "kustomization.yaml").write_text(body)
    for name, text in files.items():
        (directory / name.replace("__", ".")).write_text(text)
    return directory


CONFIG = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\ndata:\n  A: '1'\n"


@pytest.mark.parametrize("field", ["patches", "commonLabels", "namePrefix", "replicas"])
def test_unsupported_fields_fail_with_a_clear_message(tmp_path, field):
    write_kustomization(tmp_path, f"resources: [c.yaml]\n{field}: []\n", c__yaml=CONFIG)
    with pytest.raises(RenderError, match=f"unsupported field.*{field}"):
        build(tmp_path)
    proc = subprocess.run([sys.executable, "-m", "deploy.render", str(tmp_path)], cwd=ROOT,
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 1
    assert field in proc.stderr and not proc.stdout


@pytest.mark.parametrize("body, message", [
    ("configMapGenerator: [{name: x, literals: [A=1]}]\n", "disableNameSuffixHash"),
    ("resources: [https://example.com/x.yaml]\n", "remote"),
    ("resources: [c.yaml, c.yaml]\n", "duplicate"),
    ("resources: [missing.yaml]\n", "does not exist"),
    ("labels: [{pairs: {a: b}, includeSelectors: true}]\n", "includeSelectors"),
    ("resources: [c.yaml]\ngeneratorOptions: {disableNameSuffixHash: true}\n"
     "configMapGenerator: [{name: c, literals: [A=2]}]\n", "already exists"),
    ("generatorOptions: {disableNameSuffixHash: true}\n"
     "configMapGenerator: [{name: c, behavior: merge, literals: [A=2]}]\n", "no ConfigMap"),
    ("configMapGenerator: [{name: c, envs: [a.env]}]\ngeneratorOptions: {disableNameSuffixHash: true}\n",
     "envs"),
])
def test_invalid_or_unsupported_kustomizations_are_refused(tmp_path, body, message):
    write_kustomization(tmp_path, body, c__yaml=CONFIG)
    with pytest.raises(RenderError, match=message):
        build(tmp_path)


def test_non_string_config_map_values_are_refused(tmp_path):
    write_kustomization(tmp_path, "resources: [c.yaml]\n", c__yaml=CONFIG.replace("'1'", "1"))
    with pytest.raises(RenderError, match="must be a string"):
        build(tmp_path)


def test_generators_transformers_and_components_compose(tmp_path):
    deployment = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      initContainers: [{name: init, image: "busybox:1.36"}]
      containers: [{name: web, image: "registry.local:5000/team/web:1.0"}]
"""
    write_kustomization(tmp_path / "base", "resources: [c.yaml, d.yaml]\n",
                        c__yaml=CONFIG, d__yaml=deployment)
    write_kustomization(tmp_path / "comp", "apiVersion: kustomize.config.k8s.io/v1alpha1\n"
                        "kind: Component\nresources: [p.yaml]\nlabels: [{pairs: {from: comp}}]\n",
                        p__yaml="apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: sa}\n")
    overlay = write_kustomization(tmp_path / "overlay", """\
namespace: ns
resources: [../base]
components: [../comp]
labels: [{pairs: {tier: x}, includeTemplates: true}]
images:
  - {name: registry.local:5000/team/web, newName: example.org/web, newTag: "2.0"}
  - {name: busybox, digest: "sha256:abc"}
generatorOptions: {disableNameSuffixHash: true}
configMapGenerator:
  - {name: c, behavior: merge, literals: [B=two, "C='quoted'"]}
secretGenerator:
  - {name: s, literals: [K=v]}
""")
    rendered = build(overlay)
    out = {(r["kind"], r["metadata"]["name"]): r for r in rendered}
    assert list(out) == [("ServiceAccount", "sa"), ("ConfigMap", "c"), ("Secret", "s"),
                         ("Deployment", "web")]
    assert all(r["metadata"]["namespace"] == "ns" for r in out.values())
    assert out["ConfigMap", "c"]["data"] == {"A": "1", "B": "two", "C": "quoted"}
    assert out["Secret", "s"] == {"apiVersion": "v1", "kind": "Secret", "type": "Opaque",
                                  "metadata": {"name": "s", "namespace": "ns",
                                               "labels": {"from": "comp", "tier": "x"}},
                                  "data": {"K": "dg=="}}
    assert out["ServiceAccount", "sa"]["metadata"]["labels"] == {"from": "comp", "tier": "x"}
    assert out["ConfigMap", "c"]["metadata"]["labels"] == {"from": "comp", "tier": "x"}
    web = out["Deployment", "web"]
    assert web["spec"]["selector"] == {"matchLabels": {"app": "web"}}
    assert web["spec"]["template"]["metadata"]["labels"] == {"app": "web", "tier": "x"}
    spec = web["spec"]["template"]["spec"]
    assert spec["containers"][0]["image"] == "example.org/web:2.0"
    assert spec["initContainers"][0]["image"] == "busybox@sha256:abc"
    # The overlay's generators run before its components (kustomize >= 5.1), so the
    # component's label reaches the generated Secret too.
    if shutil.which("kubectl"):
        assert kubectl_kustomize(overlay) == list(yaml.safe_load_all(render(overlay)))
