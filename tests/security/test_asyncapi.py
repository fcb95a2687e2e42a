"""Issue 13, item 8: `/api/asyncapi` lists every event of `lumi_shared.contracts` with the
payload schema of its committed JSON Schema snapshot."""

import json

import pytest

from lumi_shared.contracts import registry
from lumi_shared.contracts.snapshot import SCHEMA_DIR

pytestmark = pytest.mark.e2e


def _resolve(node, components):
    """The payload schema with the snapshot's own `$defs` layout restored."""
    if isinstance(node, dict):
        ref = node.get("$ref", "")
        if ref.startswith("#/components/schemas/"):
            return {**node, "$ref": "#/$defs/" + ref.rsplit("/", 1)[1]}
        return {k: _resolve(v, components) for k, v in node.items()}
    if isinstance(node, list):
        return [_resolve(v, components) for v in node]
    return node


async def test_asyncapi_has_every_event_with_its_snapshot_payload(client):
    response = await client.get("/api/asyncapi")
    assert response.status_code == 200
    doc = response.json()
    assert doc["asyncapi"].startswith("3.")
    snapshots = {p.stem: json.loads(p.read_text()) for p in SCHEMA_DIR.glob("*.json")}
    assert set(doc["channels"]) == set(registry()) == set(snapshots)
    components = doc["components"]["schemas"]
    for key, snapshot in snapshots.items():
        channel = doc["channels"][key]
        assert channel["address"] == key
        (message_ref,) = [m["$ref"] for m in channel["messages"].values()]
        message = doc["components"]["messages"][message_ref.rsplit("/", 1)[1]]
        payload = components[message["payload"]["$ref"].rsplit("/", 1)[1]]
        expected = {k: v for k, v in snapshot.items() if k != "$defs"}
        assert _resolve(payload, components) == expected, key
        for name, definition in snapshot.get("$defs", {}).items():
            assert _resolve(components[name], components) == definition, (key, name)
        operation = doc["operations"][f"publish.{key}"]
        assert operation["action"] == "send" and operation["channel"]["$ref"] == f"#/channels/{key}"
