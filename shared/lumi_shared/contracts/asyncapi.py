"""The AsyncAPI 3 document of every event contract: one channel per routing key on the
topic exchange `lumi.events`, its payload the contract's JSON Schema snapshot (`$defs`
lifted into `components.schemas`, references rewritten to point there)."""

import copy
from typing import Any

from .snapshot import current_schemas

_DEFS = "#/$defs/"
_COMPONENTS = "#/components/schemas/"


def _rewrite(node: Any) -> Any:
    if isinstance(node, dict):
        return {k: (_COMPONENTS + v[len(_DEFS):] if k == "$ref" and isinstance(v, str)
                    and v.startswith(_DEFS) else _rewrite(v)) for k, v in node.items()}
    if isinstance(node, list):
        return [_rewrite(v) for v in node]
    return node


def document(schemas: dict[str, dict] | None = None) -> dict[str, Any]:
    schemas = schemas if schemas is not None else current_schemas()
    components: dict[str, Any] = {}
    messages: dict[str, Any] = {}
    channels: dict[str, Any] = {}
    operations: dict[str, Any] = {}
    for key, snapshot in sorted(schemas.items()):
        schema = copy.deepcopy(snapshot)
        for name, definition in schema.pop("$defs", {}).items():
            components[name] = _rewrite(definition)
        name = schema.get("title") or key
        components[name] = _rewrite(schema)
        messages[name] = {"name": key, "title": name, "contentType": "application/json",
                          "summary": schema.get("description", ""),
                          "payload": {"$ref": _COMPONENTS + name}}
        channels[key] = {"address": key,
                         "messages": {name: {"$ref": f"#/components/messages/{name}"}}}
        operations[f"publish.{key}"] = {
            "action": "send", "channel": {"$ref": f"#/channels/{_escape(key)}"},
            "messages": [{"$ref": f"#/channels/{_escape(key)}/messages/{name}"}]}
    return {
        "asyncapi": "3.0.0",
        "info": {"title": "Lumi events", "version": "1.0.0",
                 "description": "Events between the Lumi services on the RabbitMQ topic exchange "
                                "`lumi.events` (routing key = channel address); JSON bodies."},
        "defaultContentType": "application/json",
        "servers": {"rabbitmq": {"host": "rabbitmq:5672", "protocol": "amqp",
                                 "description": "exchange `lumi.events` (topic)"}},
        "channels": channels, "operations": operations,
        "components": {"schemas": components, "messages": messages},
    }


def _escape(key: str) -> str:
    return key.replace("~", "~0").replace("/", "~1")
