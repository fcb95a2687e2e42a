"""Write or check the committed JSON Schema snapshot of every event.

    python -m lumi_shared.contracts.snapshot --write   # after an intended, additive change
"""

import json
import sys
from pathlib import Path

from . import registry

SCHEMA_DIR = Path(__file__).parent / "schemas"


def current_schemas() -> dict[str, dict]:
    return {key: cls.model_json_schema(mode="serialization") for key, cls in sorted(registry().items())}


def render(schema: dict) -> str:
    return json.dumps(schema, indent=2, sort_keys=True) + "\n"


def write() -> None:
    SCHEMA_DIR.mkdir(exist_ok=True)
    for key, schema in current_schemas().items():
        (SCHEMA_DIR / f"{key}.json").write_text(render(schema))


if __name__ == "__main__":
    if "--write" in sys.argv:
        write()
    else:
        print("\n".join(current_schemas()))
