"""Helpers to drive a running system as a client would (tests and benchmarks)."""

import json
import re
from pathlib import Path
from typing import Any

import httpx
from pymongo.errors import AutoReconnect

from lumi_shared.docstore import InMemoryClient
from lumi_shared.testing import wait_for

FAST = {
    "generation": {"SIMULATED_IMAGE_LATENCY": 0.05, "SIMULATED_LLM_LATENCY": 0.0,
                   "SIMULATED_IMAGE_SIZE": 256},
    "modeling": {"MODEL_SIM_STEP_DELAY": 0.05, "MODEL_SIM_RESOLUTION": 40,
                 "MODEL_WORKER_POLL_INTERVAL": 0.2},
    "printing": {"SLICER": "planar", "PRINTER_SIM_SPEEDUP": 5000.0, "PRINTER_POLL_INTERVAL": 0.1,
                 "WORKER_POLL_INTERVAL": 0.1, "PRINTER_SIM_HEAT_SECONDS": 0.2},
}
FINAL = {"IMAGE_FAILED", "MODEL_FAILED", "COMPLETED", "FAILED", "CANCELLED"}


def mail_sources(data_dir: Path) -> tuple[Path, Path]:
    return data_dir / "mail" / "outbox.jsonl", data_dir / "logs" / "auth.log"


def mail_marks(data_dir: Path) -> dict[Path, int]:
    """Where the mail sources end now: a code mailed later is written past these offsets."""
    return {s: s.stat().st_size if s.exists() else 0 for s in mail_sources(data_dir)}


async def mailed_code(data_dir: Path, email: str, timeout: float = 10,
                      after: dict[Path, int] | None = None) -> str:
    """The newest code mailed to `email`: the embedded mail outbox, or auth's JSON log when
    the services run as separate processes (dev profile); only what was written past `after`
    (a log kept from an earlier run holds older codes for the same address)."""
    sources = mail_sources(data_dir)

    def code() -> str | None:
        for source in sources:
            if not source.exists():
                continue
            with source.open("rb") as f:
                f.seek((after or {}).get(source, 0))
                lines = f.read().decode(errors="replace").splitlines()
            for line in reversed(lines):
                message = json.loads(line) if line.startswith("{") else {}
                if message.get("to") == email and "body" in message:
                    return re.search(r"\b(\d{6})\b", message["body"]).group(1)
        return None

    return await wait_for(code, timeout)


async def login(client: httpx.AsyncClient, data_dir: Path, email: str) -> dict[str, str]:
    """Log in the way a developer does with `make run`: the code comes from the mail outbox."""
    marks = mail_marks(data_dir)
    sent = await client.post("/api/auth/send-code", json={"email": email, "type": "login"})
    assert sent.status_code == 200, sent.text
    code = await mailed_code(data_dir, email, after=marks)
    answer = await client.post("/api/auth/login", json={"email": email, "code": code})
    assert answer.status_code == 200, answer.text
    client.cookies.clear()  # behave like the web and mobile clients: header-based sessions
    return {"authorization": answer.json()["data"]["token"]}


async def task_when(client: httpx.AsyncClient, task_id: str, headers: dict[str, str],
                    predicate, timeout: float = 30.0) -> dict[str, Any]:
    async def check():
        task = (await client.get(f"/api/tasks/{task_id}", headers=headers)).json()["data"]
        return task if predicate(task) else None

    return await wait_for(check, timeout, interval=0.1)


async def task_with_images(client: httpx.AsyncClient, headers: dict[str, str], prompt: str) -> str:
    """Create a task and wait until its images are done (asserted); its id."""
    created = await client.post("/api/tasks", json={"prompt": prompt}, headers=headers)
    task_id = created.json()["data"]["id"]
    ready = await task_when(client, task_id, headers,
                            lambda t: t["phase"] == "AWAITING_SELECTION" or t["status"] in FINAL)
    assert ready["status"] == "IMAGE_COMPLETED", ready["status"]
    return task_id


async def purge_rabbit_queues(system: Any, rabbit_url: str) -> None:
    """Empty the system's durable queues and their DLQs: the broker outlives test runs."""
    import aio_pika

    from lumi_shared.messaging.topology import dead_letter_queue_name

    connection = await aio_pika.connect(rabbit_url)
    async with connection:
        channel = await connection.channel()
        for app in system.apps.values():
            for name in getattr(app.state.infra.bus, "queue_names", []):
                for queue in (name, dead_letter_queue_name(name)):
                    await (await channel.declare_queue(queue, passive=True)).purge()


class FlakyCollections:
    """A store whose first write to one collection fails like a dropped MongoDB connection."""

    WRITES = {"insert_one", "update_one", "find_one_and_update", "replace_one"}

    def __init__(self, inner: InMemoryClient, collection: str, failures: int = 1) -> None:
        self.inner, self.collection, self.failures = inner, collection, failures
        self.injected = 0
        self.armed = False

    def __getitem__(self, name: str) -> Any:
        return _FlakyDb(self, self.inner[name])

    get_database = __getitem__

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


class _FlakyDb:
    def __init__(self, owner: FlakyCollections, db: Any) -> None:
        self.owner, self.db = owner, db

    def __getitem__(self, name: str) -> Any:
        coll = self.db[name]
        return _FlakyColl(self.owner, coll) if name == self.owner.collection else coll

    get_collection = __getitem__

    def __getattr__(self, name: str) -> Any:
        return getattr(self.db, name)


class _FlakyColl:
    def __init__(self, owner: FlakyCollections, coll: Any) -> None:
        self.owner, self.coll = owner, coll

    def __getattr__(self, name: str) -> Any:
        target = getattr(self.coll, name)
        if name not in FlakyCollections.WRITES:
            return target

        async def write(*args: Any, **kwargs: Any) -> Any:
            if self.owner.armed and self.owner.injected < self.owner.failures:
                self.owner.injected += 1
                raise AutoReconnect("injected: connection to MongoDB lost")
            return await target(*args, **kwargs)

        return write
