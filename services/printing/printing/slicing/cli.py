"""`python -m printing.slicing.cli MESH OUT.gcode PROFILE_JSON`: the embedded slicer's process."""

import json
import sys
import traceback
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
    except Exception as exc:  # a bug or a geometry the slicer cannot handle: say so plainly
        traceback.print_exc()  # for the operator's log (runner.py), above the reason
        print(f"the embedded slicer could not process this model ({type(exc).__name__})",
              file=sys.stderr)
        return 3
    out.write_text(gcode)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
