"""`python -m printing.slicing.cli MESH OUT.gcode PROFILE_JSON`: the embedded slicer's process."""

import json
import sys
from pathlib import Path

from .base import SliceError
from .planar import slice_bytes
from .profile import PrintProfile
from .sections import MeshError


def main(argv: list[str]) -> int:
    mesh, out, profile = Path(argv[0]), Path(argv[1]), PrintProfile.from_dict(json.loads(argv[2]))
    try:
        gcode = slice_bytes(mesh.read_bytes(), mesh.suffix.lstrip(".") or "stl", profile)
    except (MeshError, SliceError) as exc:
        print(str(exc), file=sys.stderr)
        return 2
    out.write_text(gcode)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
