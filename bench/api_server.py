"""The whole system (embedded) seeded for `bench.api`: `python -m bench.api_server <port> <n>
<list cache seconds> <token file>`.

The bench user signs in through the public API (send-code, the code from the mail outbox,
login); then n completed tasks of that user and n public models are written through the
services' own repositories (creating them through the API would run n simulated generations
on the measured core). The token and a few model ids go to <token file> once ready.
"""

import asyncio
import json
import re
import sys
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

from lumi_embedded.system import running_system
from lumi_shared import heap

EMAIL = "bench@example.com"


async def _login(base: str, data_dir: Path) -> tuple[str, str]:
    async with httpx.AsyncClient(base_url=base, timeout=30) as client:
        (await client.post("/api/auth/send-code", json={"email": EMAIL})).raise_for_status()
        mail = data_dir / "mail" / "outbox.jsonl"
        for _ in range(300):  # the mail goes out asynchronously (outbox relay)
            if mail.exists() and mail.stat().st_size:
                break
            await asyncio.sleep(0.1)
        outbox = mail.read_text().strip().splitlines()
        code = re.findall(r"\d{6}", outbox[-1])[0]
        answer = await client.post("/api/auth/login", json={"email": EMAIL, "code": code})
        answer.raise_for_status()
        data = answer.json()["data"]
        return data["token"], data["user"]["id"]


def completed_task(user_id: str, index: int, start: datetime) -> dict:
    from generation.domain.enums import ImageStatus, RequestPhase, RequestStatus
    from generation.domain.task import new_task

    doc, _ = new_task(user_id, f"bench prompt {index}: a small red dragon", start
                      + timedelta(seconds=index))
    for image in doc["images"]:
        image.update(imageStatus=ImageStatus.COMPLETED, completedAt=doc["createdAt"],
                     imageUrl=f"http://localhost/files/images/{doc['_id']}/{image['index']}.png")
    doc.update(status=RequestStatus.COMPLETED, phase=RequestPhase.COMPLETED,
               selectedImageIndex=0, completedAt=doc["createdAt"])
    return doc


async def main(port: int, n: int, cache: str, token_file: Path) -> None:
    from bench.servers import _load_gallery_seeder

    with tempfile.TemporaryDirectory(prefix="lumi-bench-") as tmp:
        data_dir = Path(tmp)
        overrides = {"gallery": {"LIST_CACHE_SECONDS": float(cache)}}
        async with running_system(data_dir, port, overrides=overrides) as system:
            heap.settle()  # as `make run` does once started; the seeded data comes after
            token, user_id = await _login(system.url, data_dir)
            tasks = system.apps["generation"].state.generation.repo.collection
            start = datetime.now(UTC) - timedelta(days=1)
            await tasks.insert_many([completed_task(user_id, i, start) for i in range(n)])
            gallery_db = system.apps["gallery"].state.infra.db
            ids = await _load_gallery_seeder()(gallery_db, n)
            token_file.write_text(json.dumps({"token": token, "models": ids[-300:]}))
            await asyncio.Event().wait()


if __name__ == "__main__":
    # the stdlib loop, as `make run` (lumi_embedded) runs on
    asyncio.run(main(int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], Path(sys.argv[4])))
