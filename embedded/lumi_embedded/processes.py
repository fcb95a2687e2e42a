"""The distributed mode on one machine: the six services as separate OS processes (their
`lumi-<service>` console scripts) on RabbitMQ and a MongoDB-protocol database server.

Used by `make run-services` and by the fault suite, which kills and restarts single services.
Every process appends its JSON log to `<data_dir>/logs/<service>.log`.
"""

import asyncio
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

# Start order: the services first, the gateway (which checks them in /readyz) last.
ORDER = ("auth", "generation", "modeling", "printing", "gallery", "gateway")
OFFSETS = {"gateway": 0, "auth": 1, "generation": 2, "modeling": 3, "printing": 4, "gallery": 5}


@dataclass
class ProcessSystem:
    data_dir: Path
    rabbit_url: str
    mongo_url: str
    base_port: int = 8000
    db_prefix: str = "lumi"
    env: dict[str, str] = field(default_factory=dict)  # for every service
    service_env: dict[str, dict[str, str]] = field(default_factory=dict)
    procs: dict[str, subprocess.Popen] = field(default_factory=dict)

    def port(self, name: str) -> int:
        return self.base_port + OFFSETS[name]

    def url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.port(name)}"

    @property
    def public_url(self) -> str:
        return f"http://localhost:{self.port('gateway')}"

    def log_path(self, name: str) -> Path:
        return self.data_dir / "logs" / f"{name}.log"

    def environment(self, name: str) -> dict[str, str]:
        env = dict(os.environ)
        env.update({
            "LUMI_ENV": "dev", "HOST": "127.0.0.1", "PORT": str(self.port(name)),
            "LUMI_DATA_DIR": str(self.data_dir), "LOG_FORMAT": "json",
            "RABBITMQ_URL": self.rabbit_url, "MONGODB_URL": self.mongo_url,
            "MONGODB_DB": f"{self.db_prefix}_{name}",
            "STORAGE_PUBLIC_BASE_URL": f"{self.public_url}/files",
            **{f"{other.upper()}_URL": self.url(other) for other in ORDER if other != "gateway"},
        })
        if name == "gateway":  # restarted under the same name: its old SSE leases go at once
            env["SSE_REPLICA_NAME"] = f"gateway@127.0.0.1:{self.port(name)}"
        env.update(self.env)
        env.update(self.service_env.get(name, {}))
        return env

    def start(self, name: str) -> subprocess.Popen:
        self.log_path(name).parent.mkdir(parents=True, exist_ok=True)
        script = Path(sys.executable).parent / f"lumi-{name}"
        with self.log_path(name).open("ab") as log:
            proc = subprocess.Popen([str(script)], env=self.environment(name), stdout=log,
                                    stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                    start_new_session=True)
        self.procs[name] = proc
        return proc

    async def wait_ready(self, name: str, timeout: float = 30.0) -> float:
        """Seconds until the service answers /healthz; raises if it exits or times out."""
        started = time.monotonic()
        async with httpx.AsyncClient(timeout=1.0) as client:
            while time.monotonic() - started < timeout:
                proc = self.procs.get(name)
                if proc is not None and proc.poll() is not None:
                    raise RuntimeError(f"{name} exited with {proc.returncode}; log "
                                       f"{self.log_path(name)}:\n{self.tail(name)}")
                try:
                    if (await client.get(f"{self.url(name)}/healthz")).status_code == 200:
                        return time.monotonic() - started
                except httpx.HTTPError:
                    pass
                await asyncio.sleep(0.1)
        raise TimeoutError(f"{name} not healthy after {timeout}s; log {self.log_path(name)}")

    async def start_all(self) -> None:
        for name in ORDER:
            self.start(name)
            await self.wait_ready(name, timeout=120)

    def kill(self, name: str, sig: int = signal.SIGKILL) -> None:
        proc = self.procs.get(name)
        if proc is not None and proc.poll() is None:
            proc.send_signal(sig)
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()

    async def restart(self, name: str) -> float:
        self.kill(name)
        self.start(name)
        return await self.wait_ready(name)

    def stop_all(self) -> None:
        for name in reversed(ORDER):
            self.kill(name, signal.SIGTERM)

    def exited(self) -> dict[str, int]:
        return {n: p.returncode for n, p in self.procs.items() if p.poll() is not None}

    def tail(self, name: str, lines: int = 15) -> str:
        try:
            return "\n".join(self.log_path(name).read_text().splitlines()[-lines:])
        except OSError:
            return ""

    def describe(self) -> list[dict[str, Any]]:
        return [{"service": n, "url": self.url(n), "pid": self.procs[n].pid,
                 "log": str(self.log_path(n))} for n in ORDER if n in self.procs]
