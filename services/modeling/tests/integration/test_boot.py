"""The `lumi-modeling` console script starts a process that answers /healthz and /readyz."""

import os
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


async def test_lumi_modeling_boots_and_answers_health_and_readiness(tmp_path):
    script = Path(sys.executable).with_name("lumi-modeling")
    port = free_port()
    env = {**os.environ, "PORT": str(port), "LUMI_DATA_DIR": str(tmp_path), "LUMI_ENV": "dev",
           "ALLOW_IN_PROCESS_STORE": "true"}  # no database server in this test
    env.pop("RABBITMQ_URL", None)
    env.pop("MONGODB_URL", None)
    process = subprocess.Popen([str(script)], env=env, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as http:
            async def healthy() -> bool:
                try:
                    return (await http.get("/healthz")).status_code == 200
                except httpx.TransportError:
                    return False

            await wait_for(healthy, timeout=60)  # a loaded 2-core machine boots slowly
            ready = await http.get("/readyz")
            assert ready.status_code == 200
            assert ready.json()["data"]["checks"] == {"mongo": True, "broker": True,
                                                      "storage": True}
            assert (await http.get("/api/users/models")).status_code == 401
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    # uvicorn shuts down gracefully, then re-raises the signal it caught
    assert process.returncode in (0, -signal.SIGTERM)
