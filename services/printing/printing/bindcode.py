"""`python -m printing.bindcode DEVICE_NAME`: the bind code of a simulated or configured printer
(what its QR code would carry), for developers and tests in embedded mode."""

import sys

from .config import Settings
from .printers.registry import bind_code


def main() -> int:
    if len(sys.argv) != 2:
        print("usage: python -m printing.bindcode DEVICE_NAME", file=sys.stderr)
        return 2
    print(bind_code(Settings().PRINTER_BIND_SECRET, sys.argv[1]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
