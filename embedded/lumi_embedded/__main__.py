"""`make run`: the whole Lumi system in ONE process, no Docker, no servers to install.

The six services run their real code, each on its own loopback port, sharing an in-process
broker (same topic routing, asynchronous delivery) and the in-process document store
(each service in its own database, persisted under $LUMI_DATA_DIR/db). Simulated providers.
Ctrl-C stops it cleanly within a few seconds.
"""

import asyncio
import os
import signal
from pathlib import Path

from lumi_shared import heap
from lumi_shared.observability import configure_logging

from .system import running_system


async def main_async(data_dir: Path, port: int, host: str) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    async with running_system(data_dir, port, host):
        heap.settle()  # after start-up (lumi_shared.heap)
        await stop.wait()


def main() -> None:
    port = int(os.environ.get("PORT", "8000"))
    host = os.environ.get("HOST", "127.0.0.1")
    data_dir = Path(os.environ.get("LUMI_DATA_DIR", "./var")).resolve()
    configure_logging("embedded", os.environ.get("LOG_LEVEL", "INFO"),
                      os.environ.get("LOG_FORMAT", "auto"))
    # The stdlib event loop, not uvloop (which each service process of the other modes runs
    # on): here the gateway and the services share one loop, and under uvloop a burst of new
    # connections (a client opening 50 at once) left some requests waiting ~0.6 s while later
    # ones were served (bench api: tasks list p99 267-299 ms, max 570-609 ms; the stdlib loop:
    # p99 69-81 ms, max 70-94 ms, and the same throughput within 5 %).
    asyncio.run(main_async(data_dir, port, host))


if __name__ == "__main__":
    main()
