"""The system under test: its own RabbitMQ node, its own SecantusDB, the six services as
processes (`lumi_embedded.processes`). Only processes started here are ever signalled."""

import asyncio
import json
import os
import shutil
import signal
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aio_pika
from pymongo import AsyncMongoClient

from lumi_embedded.processes import ProcessSystem
from lumi_shared.messaging.topology import EXCHANGE

ROOT = Path(__file__).resolve().parents[1]
RABBIT_SCRIPT = ROOT.parent / "shared" / "tools" / "rabbitmq-local.sh"
SECANTUS_SCRIPT = ROOT / "scripts" / "secantusdb.sh"
FAST = {
    "generation": {"SIMULATED_IMAGE_LATENCY": "0.05", "SIMULATED_LLM_LATENCY": "0",
                   "SIMULATED_IMAGE_SIZE": "128", "SWEEP_INTERVAL": "2", "IMAGE_LEASE": "6",
                   # the simulated provider has no rate limit to respect (a real one: 4)
                   "IMAGE_CONCURRENCY": "16",
                   "IMAGE_STALL_TIMEOUT": "45",
                   # the suite measures reliability: 5 users start N tasks at 20/s, which the
                   # per-user abuse limits would turn into 429s past the batch's deadline
                   "GENERATION_MAX_IN_FLIGHT": "0", "GENERATION_RATE_PER_MINUTE": "0",
                   "MODEL_RECONCILE_AFTER": "15"},
    "modeling": {"MODEL_SIM_STEP_DELAY": "0.05", "MODEL_SIM_RESOLUTION": "32",
                 "MODEL_WORKER_POLL_INTERVAL": "1", "MODEL_JOB_LEASE": "5",
                 "MODEL_WORKER_CONCURRENCY": "8", "MODEL_PROGRESS_INTERVAL": "2",
                 "MODEL_RETRY_BASE_DELAY": "0.5", "MODEL_RETRY_MAX_DELAY": "2"},
    "auth": {"LOG_LEVEL": "INFO", "STARTING_CREDITS": "1000000", "CODE_SENDS_PER_IP_PER_HOUR": "100000",
             "CODE_SENDS_PER_EMAIL_PER_HOUR": "1000"},
}
# The relays are kicked by every write of their own process, and a new model wakes the
# worker: their polls only catch up after a crash or an outage, and polling ~15 collections
# twice a second was a standing load on the database server.
COMMON = {"OUTBOX_POLL_INTERVAL": "2", "EVENT_PUBLISH_TIMEOUT": "5", "LOG_LEVEL": "WARNING"}


def rabbit_script() -> Path:
    env_path = os.environ.get("RABBITMQ_LOCAL_SCRIPT")
    return Path(env_path) if env_path else RABBIT_SCRIPT


@dataclass
class Environment:
    work: Path
    rabbit_port: int = 5686
    db_port: int = 8618
    base_port: int = 8650
    system: ProcessSystem | None = None
    captured: list[aio_pika.abc.AbstractIncomingMessage] = field(default_factory=list)

    @property
    def rabbit_dir(self) -> Path:
        return self.work / "rabbitmq"

    @property
    def db_dir(self) -> Path:
        return self.work / "secantusdb"

    # --- broker -----------------------------------------------------------------------
    def broker(self, verb: str) -> str:
        done = subprocess.run(["bash", str(rabbit_script()), verb, str(self.rabbit_port),
                               str(self.rabbit_dir)], capture_output=True, text=True, timeout=180)
        if verb == "start" and done.returncode:
            raise RuntimeError(f"rabbitmq start failed: {done.stderr[-2000:]}")
        return done.stdout.strip().splitlines()[-1] if done.stdout.strip() else ""

    def broker_kill9(self) -> None:
        pid = (self.rabbit_dir / "rabbitmq.pid").read_text().strip()
        os.kill(int(pid), signal.SIGKILL)
        for _ in range(100):
            try:
                os.kill(int(pid), 0)
            except ProcessLookupError:
                return
            time.sleep(0.05)

    # --- database ---------------------------------------------------------------------
    def database(self, verb: str) -> str:
        args = ["bash", str(SECANTUS_SCRIPT), verb, str(self.db_dir)]
        if verb == "start":
            args.append(str(self.db_port))
        return subprocess.run(args, capture_output=True, text=True, check=True,
                              timeout=180).stdout.strip()

    def database_kill9(self) -> None:
        os.kill(int((self.db_dir / "pid").read_text()), signal.SIGKILL)
        time.sleep(0.3)
        (self.db_dir / "pid").unlink(missing_ok=True)

    def mongo(self) -> AsyncMongoClient:
        return AsyncMongoClient(f"mongodb://127.0.0.1:{self.db_port}/", tz_aware=True,
                                serverSelectionTimeoutMS=5000)

    # --- the services -----------------------------------------------------------------
    def _alive(self, pid_file: Path) -> bool:
        try:
            os.kill(int(pid_file.read_text().strip()), 0)
        except (OSError, ValueError):
            return False
        return True

    def wipe(self) -> None:
        """Forget a previous run's broker, database and files: every run starts empty (the
        data of earlier runs made every query of the next one slower). Refuses while a server
        of that run is still up."""
        for pid_file in (self.rabbit_dir / "rabbitmq.pid", self.db_dir / "pid"):
            if self._alive(pid_file):
                raise RuntimeError(f"{pid_file} names a live process: stop that run first")
        for part in (self.rabbit_dir, self.db_dir, self.work / "data"):
            shutil.rmtree(part, ignore_errors=True)

    async def start(self) -> None:
        self.work.mkdir(parents=True, exist_ok=True)
        self.wipe()
        rabbit_url = self.broker("start")
        mongo_url = self.database("start")
        self.system = ProcessSystem(self.work / "data", rabbit_url, mongo_url,
                                    base_port=self.base_port, db_prefix="faults",
                                    env=COMMON, service_env=FAST)
        await self.system.start_all()

    def stop(self) -> None:
        if self.system:
            self.system.stop_all()
        self.database("stop")
        self.broker("stop")

    # --- AMQP: capture, re-publish, poison, dead-letter counts -------------------------
    async def amqp(self) -> aio_pika.abc.AbstractRobustConnection:
        return await aio_pika.connect_robust(self.system.rabbit_url)

    async def publish_raw(self, body: bytes, routing_key: str, **props: Any) -> None:
        connection = await aio_pika.connect(self.system.rabbit_url)
        async with connection:
            channel = await connection.channel()
            exchange = await channel.get_exchange(EXCHANGE)
            await exchange.publish(aio_pika.Message(body, delivery_mode=2, **props),
                                   routing_key=routing_key)

    def queue_depths(self) -> dict[str, int]:
        node = f"rmq_local_{self.rabbit_port}@localhost"
        env = {**os.environ, "HOME": str(self.rabbit_dir),
               "ERL_EPMD_PORT": str(self.rabbit_port + 30000), "RABBITMQ_NODENAME": node}
        ctl = "/usr/lib/rabbitmq/bin/rabbitmqctl"
        if not Path(ctl).exists():
            ctl = "rabbitmqctl"
        done = subprocess.run([ctl, "-n", node, "list_queues", "-q", "--formatter", "json",
                               "name", "messages"], env=env, capture_output=True, text=True,
                              timeout=60)
        try:
            return {q["name"]: int(q["messages"]) for q in json.loads(done.stdout or "[]")}
        except ValueError:
            return {}

    def dead_lettered(self) -> int:
        return sum(n for name, n in self.queue_depths().items() if name.endswith(".dlq"))


async def wait_port(port: int, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.close()
            return
        except OSError:
            await asyncio.sleep(0.1)
    raise TimeoutError(f"port {port} not open after {timeout}s")
