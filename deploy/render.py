"""Render a kustomize directory to multi-document YAML, in pure Python (no kustomize binary).

    python -m deploy.render deploy/k8s/overlays/local > lumi.yaml

It implements only the subset of kustomize that deploy/k8s uses, and refuses anything else with
a non-zero exit and a message naming the file and field, rather than render it wrongly. For the
manifests here its output equals `kubectl kustomize` (tests/deploy compares them when kubectl is
installed). Supported, in a `kustomization.yaml` (kind Kustomization or Component):

- `resources`: local YAML files (one or more documents) and local directories that hold their own
  kustomization (built recursively). No remote URLs. Duplicate kind/namespace/name is an error.
- `components`: local directories with `kind: Component`; their resources are added to the
  resources accumulated so far (including what this level's generators made, as in kustomize
  >= 5.1) and their generators/transformers apply to all of them.
- `configMapGenerator` / `secretGenerator`: `name`, `namespace`, `behavior` (create, merge,
  replace), `literals` (`KEY=VALUE`, surrounding quotes stripped), `type` (Secret only). Needs
  `generatorOptions: {disableNameSuffixHash: true}`: content-hash suffixes (and the name-reference
  rewriting they imply) are not implemented.
- `namespace`: set on every namespaced resource (kinds known to be cluster-scoped are left
  alone); RoleBindings and webhook configurations, whose references kustomize also rewrites, are
  refused.
- `labels`: `pairs` with `includeTemplates` (pod templates, CronJob job templates, StatefulSet
  volumeClaimTemplates); `includeSelectors: true` and `fields` are refused (no selector rewriting).
- `images`: `name` with `newName`, `newTag` and/or `digest`, applied to every `containers` and
  `initContainers` image.

Not supported (an error): patches of any kind, commonLabels, commonAnnotations, namePrefix,
nameSuffix, replicas, replacements, vars, configurations, generators/transformers plugins,
helmCharts, openapi, crds, buildMetadata, generator `envs`/`files`/`options`.

Output: resources sorted like kustomize's default ("legacy") order, keys sorted, `---` between
documents. ConfigMap and Secret data values must be strings.
"""

import base64
import copy
import os
import sys
from pathlib import Path
from typing import Any

import yaml

KUSTOMIZATION_FILES = ("kustomization.yaml", "kustomization.yml", "Kustomization")
KUSTOMIZE_API = "kustomize.config.k8s.io/v1beta1"
COMPONENT_API = "kustomize.config.k8s.io/v1alpha1"

SUPPORTED_FIELDS = {
    "apiVersion", "kind", "resources", "components", "namespace", "labels", "images",
    "configMapGenerator", "secretGenerator", "generatorOptions",
}
GENERATOR_FIELDS = {"name", "namespace", "behavior", "literals", "type"}
LABEL_FIELDS = {"pairs", "includeSelectors", "includeTemplates"}
IMAGE_FIELDS = {"name", "newName", "newTag", "digest"}

CLUSTER_SCOPED = {
    "Namespace", "Node", "PersistentVolume", "StorageClass", "ClusterRole", "ClusterRoleBinding",
    "CustomResourceDefinition", "PriorityClass", "RuntimeClass", "IngressClass", "CSIDriver",
    "CSINode", "VolumeAttachment", "APIService", "PodSecurityPolicy", "ClusterIssuer",
    "MutatingWebhookConfiguration", "ValidatingWebhookConfiguration",
    "ValidatingAdmissionPolicy", "ValidatingAdmissionPolicyBinding", "CertificateSigningRequest",
}
# Kinds whose cross-namespace references kustomize's namespace transformer also rewrites.
NAMESPACE_REFERRERS = {
    "RoleBinding", "ClusterRoleBinding", "MutatingWebhookConfiguration",
    "ValidatingWebhookConfiguration", "APIService",
}

# kustomize's legacy order (api/resid/gvk.go): these kinds first, in this order; then every other
# kind by group_version_kind; then the webhook configurations.
ORDER_FIRST = [
    "Namespace", "ResourceQuota", "StorageClass", "CustomResourceDefinition", "ServiceAccount",
    "PodSecurityPolicy", "Role", "ClusterRole", "RoleBinding", "ClusterRoleBinding", "ConfigMap",
    "Secret", "Endpoints", "Service", "LimitRange", "PriorityClass", "PersistentVolume",
    "PersistentVolumeClaim", "Deployment", "StatefulSet", "CronJob", "PodDisruptionBudget",
]
ORDER_LAST = ["MutatingWebhookConfiguration", "ValidatingWebhookConfiguration"]

# Label paths added by `labels: [{includeTemplates: true}]` (kustomize's templateLabels).
POD_TEMPLATE_KINDS = {"Deployment", "ReplicaSet", "DaemonSet", "StatefulSet", "Job",
                      "ReplicationController"}


class RenderError(Exception):
    """The kustomization uses something this renderer does not implement, or is invalid."""


Resource = dict[str, Any]


def _load_yaml(path: Path) -> list[Any]:
    try:
        with path.open() as fh:
            return [d for d in yaml.safe_load_all(fh) if d is not None]
    except yaml.YAMLError as exc:
        raise RenderError(f"{path}: invalid YAML: {exc}") from exc


def _res_id(res: Resource) -> tuple[str, str, str, str]:
    api = res.get("apiVersion", "")
    group = api.rsplit("/", 1)[0] if "/" in api else ""
    meta = res.get("metadata") or {}
    return group, res.get("kind", ""), meta.get("namespace") or "", meta.get("name", "")


def _describe(res: Resource) -> str:
    _, kind, ns, name = _res_id(res)
    return f"{kind} {ns + '/' if ns else ''}{name}"


def _check_resource(res: Any, source: Path) -> Resource:
    if not isinstance(res, dict):
        raise RenderError(f"{source}: a document is not a mapping")
    for field in ("apiVersion", "kind"):
        if not isinstance(res.get(field), str) or not res[field]:
            raise RenderError(f"{source}: a document has no {field}")
    if not isinstance(res.get("metadata"), dict) or not res["metadata"].get("name"):
        raise RenderError(f"{source}: {res['kind']} without metadata.name")
    if res["kind"] in ("ConfigMap", "Secret"):
        for key, value in (res.get("data") or {}).items():
            if not isinstance(value, str):
                raise RenderError(f"{source}: {_describe(res)}: data.{key} must be a string "
                                  f"(quote it), got {type(value).__name__}")
    return res


def _add(acc: list[Resource], new: list[Resource], where: Path) -> None:
    ids = {_res_id(r) for r in acc}
    for res in new:
        rid = _res_id(res)
        if rid in ids:
            raise RenderError(f"{where}: duplicate resource {_describe(res)}")
        ids.add(rid)
        acc.append(res)


def _kustomization_file(directory: Path) -> Path:
    found = [directory / n for n in KUSTOMIZATION_FILES if (directory / n).is_file()]
    if not found:
        raise RenderError(f"{directory}: no kustomization.yaml")
    if len(found) > 1:
        raise RenderError(f"{directory}: more than one kustomization file")
    return found[0]


def _local_path(base: Path, entry: Any, field: str, kfile: Path) -> Path:
    if not isinstance(entry, str) or not entry:
        raise RenderError(f"{kfile}: {field} entries must be non-empty strings")
    if "://" in entry or entry.startswith(("github.com/", "git@")):
        raise RenderError(f"{kfile}: {field}: remote {entry!r} is not supported (local paths only)")
    path = (base / entry).resolve()
    if not path.exists():
        raise RenderError(f"{kfile}: {field}: {entry!r} does not exist")
    return path


def build(directory: str | Path) -> list[Resource]:
    """The resources of the kustomization (or component) in `directory`, transformed and sorted."""
    path = Path(directory).resolve()
    if not path.is_dir():
        raise RenderError(f"{directory}: not a directory")
    docs = _load_yaml(_kustomization_file(path))
    component = bool(docs) and isinstance(docs[0], dict) and docs[0].get("kind") == "Component"
    return sort_resources(_build(path, component=component, acc=[], stack=()))


def _build(directory: Path, *, component: bool, acc: list[Resource],
           stack: tuple[Path, ...]) -> list[Resource]:
    if directory in stack:
        raise RenderError(f"{directory}: cycle through " + " -> ".join(map(str, stack)))
    stack = (*stack, directory)
    kfile = _kustomization_file(directory)
    docs = _load_yaml(kfile)
    if len(docs) != 1 or not isinstance(docs[0], dict):
        raise RenderError(f"{kfile}: expected exactly one mapping")
    k = docs[0]

    kind = k.get("kind", "Kustomization")
    expected_kind, expected_api = ("Component", COMPONENT_API) if component else ("Kustomization",
                                                                                 KUSTOMIZE_API)
    if kind != expected_kind:
        raise RenderError(f"{kfile}: kind {kind!r} where a {expected_kind} is expected")
    if k.get("apiVersion", expected_api) != expected_api:
        raise RenderError(f"{kfile}: apiVersion must be {expected_api}")
    unsupported = sorted(set(k) - SUPPORTED_FIELDS)
    if unsupported:
        raise RenderError(f"{kfile}: unsupported field(s) {', '.join(unsupported)} "
                          f"(deploy.render supports: {', '.join(sorted(SUPPORTED_FIELDS))})")

    resources = list(acc) if component else []
    for entry in k.get("resources") or []:
        path = _local_path(directory, entry, "resources", kfile)
        if path.is_dir():
            _add(resources, _build(path, component=False, acc=[], stack=stack), kfile)
        else:
            _add(resources, [_check_resource(d, path) for d in _load_yaml(path)], kfile)

    # kustomize >= 5.1 order: resources, generators, components, then this level's transformers.
    _generate(k, kfile, resources)
    for entry in k.get("components") or []:
        path = _local_path(directory, entry, "components", kfile)
        if not path.is_dir():
            raise RenderError(f"{kfile}: components: {entry!r} is not a directory")
        resources = _build(path, component=True, acc=resources, stack=stack)

    if "namespace" in k:
        _set_namespace(resources, k["namespace"], kfile)
    for spec in k.get("labels") or []:
        _add_labels(resources, spec, kfile)
    for spec in k.get("images") or []:
        _set_images(resources, spec, kfile)
    return resources


# ---- generators ----------------------------------------------------------------------------

def _parse_literal(literal: Any, kfile: Path) -> tuple[str, str]:
    if not isinstance(literal, str) or "=" not in literal:
        raise RenderError(f"{kfile}: literal {literal!r} is not KEY=VALUE")
    key, value = literal.split("=", 1)
    if not key:
        raise RenderError(f"{kfile}: literal {literal!r} has an empty key")
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
        value = value[1:-1]
    return key, value


def _encode_base64(value: str) -> str:
    """Base64 as kustomize writes it: when longer than 70 characters, lines of 70 each ending
    with a newline (decoders ignore the newlines; matching them keeps outputs identical)."""
    encoded = base64.b64encode(value.encode()).decode()
    if len(encoded) < 70:
        return encoded
    return "".join(encoded[i:i + 70] + "\n" for i in range(0, len(encoded), 70))


def _generate(k: dict, kfile: Path, resources: list[Resource]) -> None:
    specs = [("ConfigMap", s) for s in k.get("configMapGenerator") or []]
    specs += [("Secret", s) for s in k.get("secretGenerator") or []]
    if not specs:
        return
    options = k.get("generatorOptions") or {}
    if set(options) - {"disableNameSuffixHash"} or options.get("disableNameSuffixHash") is not True:
        raise RenderError(f"{kfile}: generators need generatorOptions: {{disableNameSuffixHash: "
                          "true}} and nothing else (name hashing is not implemented)")
    for kind, spec in specs:
        field = "configMapGenerator" if kind == "ConfigMap" else "secretGenerator"
        if not isinstance(spec, dict) or not spec.get("name"):
            raise RenderError(f"{kfile}: {field} entry without a name")
        allowed = GENERATOR_FIELDS if kind == "Secret" else GENERATOR_FIELDS - {"type"}
        extra = set(spec) - allowed
        if extra:
            raise RenderError(f"{kfile}: {field} {spec['name']}: unsupported field(s) "
                              f"{', '.join(sorted(extra))} (literals only)")
        data: dict[str, str] = {}
        for literal in spec.get("literals") or []:
            key, value = _parse_literal(literal, kfile)
            if key in data:
                raise RenderError(f"{kfile}: {field} {spec['name']}: key {key} given twice")
            data[key] = value
        if kind == "Secret":
            data = {key: _encode_base64(v) for key, v in data.items()}

        behavior = spec.get("behavior", "create")
        ns = spec.get("namespace") or ""
        existing = [r for r in resources if _res_id(r)[1:] == (kind, ns, spec["name"])]
        if behavior == "create":
            if existing:
                raise RenderError(f"{kfile}: {field} {spec['name']}: already exists "
                                  "(use behavior: merge or replace)")
            res: Resource = {"apiVersion": "v1", "kind": kind, "metadata": {"name": spec["name"]}}
            if ns:
                res["metadata"]["namespace"] = ns
            if kind == "Secret":
                res["type"] = spec.get("type", "Opaque")
            res["data"] = data
            resources.append(res)
        elif behavior in ("merge", "replace"):
            if not existing:
                raise RenderError(f"{kfile}: {field} {spec['name']}: behavior {behavior} but no "
                                  f"{kind} of that name to {behavior}")
            target = existing[0]
            if behavior == "merge":
                target["data"] = {**(target.get("data") or {}), **data}
            else:
                target["data"] = data
                target.pop("binaryData", None)
            if kind == "Secret" and "type" in spec:
                target["type"] = spec["type"]
        else:
            raise RenderError(f"{kfile}: {field} {spec['name']}: unknown behavior {behavior!r}")


# ---- transformers --------------------------------------------------------------------------

def _set_namespace(resources: list[Resource], namespace: Any, kfile: Path) -> None:
    if not isinstance(namespace, str) or not namespace:
        raise RenderError(f"{kfile}: namespace must be a non-empty string")
    for res in resources:
        if res["kind"] in NAMESPACE_REFERRERS:
            raise RenderError(f"{kfile}: namespace with {_describe(res)} is not supported "
                              "(its namespace references would need rewriting)")
        if res["kind"] not in CLUSTER_SCOPED:
            res["metadata"]["namespace"] = namespace


def _merge_labels(obj: dict, path: tuple[str, ...], pairs: dict[str, str]) -> None:
    for key in path:
        obj = obj.setdefault(key, {})
        if not isinstance(obj, dict):
            return
    obj.update(pairs)


def _add_labels(resources: list[Resource], spec: Any, kfile: Path) -> None:
    if not isinstance(spec, dict) or set(spec) - LABEL_FIELDS:
        raise RenderError(f"{kfile}: labels entries may only have {', '.join(sorted(LABEL_FIELDS))}")
    if spec.get("includeSelectors"):
        raise RenderError(f"{kfile}: labels with includeSelectors: true is not supported")
    pairs = spec.get("pairs") or {}
    if not all(isinstance(k, str) and isinstance(v, str) for k, v in pairs.items()):
        raise RenderError(f"{kfile}: label keys and values must be strings")
    for res in resources:
        _merge_labels(res, ("metadata", "labels"), pairs)
        if not spec.get("includeTemplates"):
            continue
        kind, body = res["kind"], res.get("spec")
        if not isinstance(body, dict):
            continue
        if kind in POD_TEMPLATE_KINDS:
            _merge_labels(body, ("template", "metadata", "labels"), pairs)
        if kind == "StatefulSet":
            for claim in body.get("volumeClaimTemplates") or []:
                _merge_labels(claim, ("metadata", "labels"), pairs)
        if kind == "CronJob":
            _merge_labels(body, ("jobTemplate", "metadata", "labels"), pairs)
            _merge_labels(body, ("jobTemplate", "spec", "template", "metadata", "labels"), pairs)


def _split_image(image: str) -> tuple[str, str, str]:
    """`name[:tag][@digest]` -> (name, tag, digest)."""
    digest = ""
    if "@" in image:
        image, digest = image.split("@", 1)
    name, tag = image, ""
    if ":" in image.rsplit("/", 1)[-1]:
        name, tag = image.rsplit(":", 1)
    return name, tag, digest


def _containers(node: Any):
    if isinstance(node, dict):
        for key, value in node.items():
            if key in ("containers", "initContainers") and isinstance(value, list):
                yield from (c for c in value if isinstance(c, dict))
            else:
                yield from _containers(value)
    elif isinstance(node, list):
        for item in node:
            yield from _containers(item)


def _set_images(resources: list[Resource], spec: Any, kfile: Path) -> None:
    if not isinstance(spec, dict) or not spec.get("name") or set(spec) - IMAGE_FIELDS:
        raise RenderError(f"{kfile}: images entries need a name and may only have "
                          f"{', '.join(sorted(IMAGE_FIELDS))}")
    for res in resources:
        for container in _containers(res.get("spec")):
            image = container.get("image")
            if not isinstance(image, str):
                continue
            name, tag, digest = _split_image(image)
            if name != spec["name"]:
                continue
            name = spec.get("newName", name)
            if "digest" in spec:
                tag, digest = "", spec["digest"]
            elif "newTag" in spec:
                tag, digest = str(spec["newTag"]), ""
            container["image"] = name + (f":{tag}" if tag else "") + (f"@{digest}" if digest else "")


# ---- output --------------------------------------------------------------------------------

def _gvk_string(res: Resource) -> str:
    api = res["apiVersion"]
    group, version = api.rsplit("/", 1) if "/" in api else ("", api)
    return "_".join((group or "~G", version or "~V", res["kind"] or "~K"))


def _order_key(res: Resource) -> tuple:
    kind = res["kind"]
    if kind in ORDER_FIRST:
        rank = ORDER_FIRST.index(kind) - len(ORDER_FIRST)
    elif kind in ORDER_LAST:
        rank = 1 + ORDER_LAST.index(kind)
    else:
        rank = 0
    meta = res["metadata"]
    return rank, _gvk_string(res), meta.get("namespace") or "", meta["name"]


def sort_resources(resources: list[Resource]) -> list[Resource]:
    return sorted(resources, key=_order_key)


class _Dumper(yaml.SafeDumper):
    def choose_scalar_style(self):
        # Quote like kustomize (go-yaml): "8000" for a string that reads as another type,
        # 'single quotes' only where plain style is not allowed.
        style = super().choose_scalar_style()
        if style == "'" and not self.event.implicit[0]:
            return '"'
        return style


def _str_representer(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _str_representer)


def to_yaml(resources: list[Resource]) -> str:
    return yaml.dump_all([copy.deepcopy(r) for r in resources], Dumper=_Dumper, sort_keys=True,
                         default_flow_style=False, explicit_start=False)


def render(directory: str | Path) -> str:
    return to_yaml(build(directory))


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 1 or argv[0].startswith("-"):
        print("usage: python -m deploy.render KUSTOMIZATION_DIR", file=sys.stderr)
        return 2
    try:
        text = render(argv[0])
    except RenderError as exc:
        print(f"deploy.render: error: {exc}", file=sys.stderr)
        return 1
    try:
        sys.stdout.write(text)
        sys.stdout.flush()
    except BrokenPipeError:  # e.g. `| head`: the reader is gone, which is fine
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    return 0


if __name__ == "__main__":
    sys.exit(main())
