"""`lumi-generation` starts as its own process and answers /healthz and /readyz."""

import os
import shutil
import signal
import socket
import subprocess
import sys
from pathlib import Path

import httpx

from lumi_shared.testing import wait_for


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


async def test_the_console_script_boots_and_reports_healthy_and_ready(tmp_path):
    script = shutil.which("lumi-generation") or str(Path(sys.executable).with_name("lumi-generation"))
    port = free_port()
    env = {**os.environ, "PORT": str(port), "LUMI_ENV": "dev", "LUMI_DATA_DIR": str(tmp_path),
           "LOG_FORMAT": "json"}
    for key in ("RABBITMQ_URL", "MONGODB_URL", "STORAGE_BACKEND"):
        env.pop(key, None)
    log_file = (tmp_path / "service.log").open("wb")
    process = subprocess.Popen([script], env=env, stdout=log_file, stderr=subprocess.STDOUT)
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
            async def up(path):
                try:
                    return (await client.get(path)).status_code == 200
                except httpx.TransportError:
                    return False

            await wait_for(lambda: up("/healthz"), timeout=30, interval=0.2)
            ready = await client.get("/readyz")
            assert ready.status_code == 200
            assert ready.json()["data"]["checks"] == {"broker": True, "mongo": True,
                                                      "storage": True}
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=15)
        log_file.close()
