"""`python -m printing.bindcode DEVICE_NAME`: the bind code of a simulated or configured printer
(what its QR code would carry), for developers and tests in embedded mode."""

import os
import sys

from .config import Settings
from .printers.registry import bind_code


def main() -> int:
    if len(sys.argv) != 2:
        print("usage: python -m printing.bindcode DEVICE_NAME", file=sys.stderr)
        return 2
    # the embedded profile (`make run`) unless told otherwise: a `dev` default would derive a
    # per-installation secret the embedded system does not use
    settings = Settings(LUMI_ENV=os.environ.get("LUMI_ENV", "embedded"))
    print(bind_code(settings.PRINTER_BIND_SECRET, sys.argv[1]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
