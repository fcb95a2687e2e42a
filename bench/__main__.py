"""`make bench`: run every benchmark and print its table (Markdown)."""

import asyncio
import os
import platform
import sys

from . import api, gallery, gateway_overhead, slicing, sse_fanout

BENCHES = {"api": api.run, "gateway": gateway_overhead.run, "sse": sse_fanout.run,
           "gallery": gallery.run, "slicing": slicing.run}


async def main(selected: list[str]) -> None:
    print(f"# Lumi benchmarks\n\nPython {platform.python_version()}, {os.cpu_count()} cores, "
          f"{platform.machine()}\n")
    for name, bench in BENCHES.items():
        if selected and name not in selected:
            continue
        print(await bench(), "\n", flush=True)


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1:]))
