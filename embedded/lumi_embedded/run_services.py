"""`make run-services`: the six services as separate processes on RabbitMQ and a database
server, on one machine. Ctrl-C stops them (and the database server, if it was started here).

RABBITMQ_URL   default amqp://guest:guest@127.0.0.1:5672/ (the local broker)
MONGODB_URL    default: SecantusDB started from its own venv (scripts/secantusdb.sh) on
               PORT+17, data and log under $LUMI_DATA_DIR/secantusdb (kept across runs)
PORT           the gateway's port (default 8000); the services take the next five
LUMI_DATA_DIR  default ./var: files, logs/<service>.log (auth logs the sign-in codes)
"""

import asyncio
import os
import signal
import subprocess
from pathlib import Path

from .processes import ProcessSystem

SECANTUS = Path(__file__).resolve().parents[2] / "scripts" / "secantusdb.sh"


def database(data_dir: Path, port: int) -> tuple[str, Path | None]:
    if os.environ.get("MONGODB_URL"):
        return os.environ["MONGODB_URL"], None
    folder = data_dir / "secantusdb"
    url = subprocess.run(["bash", str(SECANTUS), "start", str(folder), str(port)], check=True,
                         capture_output=True, text=True).stdout.strip()
    return url, folder


async def main_async() -> None:
    data_dir = Path(os.environ.get("LUMI_DATA_DIR", "./var")).resolve()
    rabbit = os.environ.get("RABBITMQ_URL", "amqp://guest:guest@127.0.0.1:5672/")
    base_port = int(os.environ.get("PORT", "8000"))
    mongo, own_db = database(data_dir, base_port + 17)
    system = ProcessSystem(data_dir, rabbit, mongo, base_port=base_port)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        await system.start_all()
        print(f"Lumi (separate processes) on {system.public_url}")
        print(f"  broker    {rabbit}")
        print(f"  database  {mongo}" + (f"  (SecantusDB, log {own_db}/secantusdb.log)"
                                        if own_db else ""))
        for row in system.describe():
            print(f"  {row['service']:<10} {row['url']:<24} pid {row['pid']:<8} log {row['log']}")
        print(f"  mail      sign-in codes are logged by auth (\"dev_mail\" in "
              f"{system.log_path('auth')})   Ctrl-C stops everything", flush=True)
        while not stop.is_set():
            if gone := system.exited():
                print(f"a service exited: {gone}; see its log", flush=True)
                break
            try:
                await asyncio.wait_for(stop.wait(), 1.0)
            except TimeoutError:
                pass
    finally:
        system.stop_all()
        if own_db:
            subprocess.run(["bash", str(SECANTUS), "stop", str(own_db)], check=False)


def main() -> None:
    asyncio.run(main_async())


if __name__ == "__main__":
    main()
