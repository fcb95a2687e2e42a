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
           "LOG_FORMAT": "json",
           "ALLOW_IN_PROCESS_STORE": "true"}  # no database server in this test
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


def test_outside_the_embedded_profile_it_refuses_to_start_without_a_database_server(tmp_path):
    script = shutil.which("lumi-generation") or str(Path(sys.executable).with_name("lumi-generation"))
    env = {**os.environ, "PORT": str(free_port()), "LUMI_ENV": "dev",
           "LUMI_DATA_DIR": str(tmp_path)}
    for key in ("RABBITMQ_URL", "MONGODB_URL", "ALLOW_IN_PROCESS_STORE"):
        env.pop(key, None)
    done = subprocess.run([script], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode != 0
    assert "lumi-generation refuses to start: generation: MONGODB_URL is not set" in done.stderr
    assert "ALLOW_IN_PROCESS_STORE=true" in done.stderr and "Traceback" not in done.stderr
