"""N tasks driven as clients drive them (create, watch over SSE, select an image, wait for
the model), and the checker that turns their histories into one row of figures."""

import asyncio
import json
import random
import time
from dataclasses import dataclass, field
from typing import Any

import httpx

FINAL = {"IMAGE_FAILED", "MODEL_FAILED", "COMPLETED", "FAILED", "CANCELLED"}
# A client re-reads its task when its event stream says something happened (at most once a
# second) and otherwise every POLL_EVERY seconds. Polling every task every second instead made
# the checker the database's main load (100 reads/s of 100 tasks on SecantusDB).
POLL_MIN, POLL_EVERY = 1.0, 5.0
SSE_FINAL = {"model:completed", "model:failed", "task:failed"}


@dataclass
class Task:
    user: int
    id: str | None = None
    status: str = "NOT_CREATED"
    create_error: str | None = None
    selected: bool = False
    completed_at: float | None = None
    model_id: str | None = None
    sse_final: bool = False
    sse_final_at: float | None = None  # monotonic time the watcher saw the final frame
    sse_connects: int = 0
    history: list[str] = field(default_factory=list)  # statuses seen by polling, in order
    changed: asyncio.Event = field(default_factory=asyncio.Event)  # the stream saw an event
    selects: list[str] = field(default_factory=list)  # answers to the select request
    seen_at: dict[str, float] = field(default_factory=dict)  # status -> s after batch start


class Workload:
    def __init__(self, url: str, headers: list[dict[str, str]], tasks: int, *,
                 deadline: float, slow_watchers: int = 0, drop_watchers: int = 0) -> None:
        self.url, self.headers, self.deadline = url, headers, deadline
        self.tasks = [Task(user=i % len(headers)) for i in range(tasks)]
        self.slow_watchers, self.drop_watchers = slow_watchers, drop_watchers
        self.started = time.monotonic()
        self.progress = asyncio.Event()

    def selected_count(self) -> int:
        return sum(t.selected for t in self.tasks)

    async def run(self) -> None:
        limits = httpx.Limits(max_connections=400, max_keepalive_connections=100)
        async with httpx.AsyncClient(base_url=self.url, timeout=15, limits=limits) as client:
            await asyncio.gather(*(self._drive(client, i, t) for i, t in enumerate(self.tasks)))

    def _left(self) -> float:
        return self.deadline - time.monotonic()

    async def _request(self, client: httpx.AsyncClient, method: str, path: str,
                       headers: dict[str, str], **kwargs: Any) -> httpx.Response | None:
        """Retry like a client does while the system is (partly) down; None past the deadline."""
        while self._left() > 0:
            try:
                response = await client.request(method, path, headers=headers, **kwargs)
                if response.status_code < 500 and response.status_code != 429:
                    return response
            except httpx.HTTPError:
                pass
            await asyncio.sleep(0.5 + random.random() * 0.5)
        return None

    async def _drive(self, client: httpx.AsyncClient, i: int, task: Task) -> None:
        await asyncio.sleep(i * 0.05)  # paced arrival: 20 tasks per second
        me = self.headers[task.user]
        created = await self._request(client, "POST", "/api/tasks", me,
                                      json={"prompt": f"fault test object {i}"})
        if created is None or created.status_code != 201:
            task.create_error = created.text[:200] if created is not None else "deadline"
            return
        task.id, task.status = created.json()["data"]["id"], "PENDING"
        task.seen_at["CREATED"] = time.monotonic() - self.started
        mode = "slow" if i < self.slow_watchers else (
            "drop" if i < self.slow_watchers + self.drop_watchers else "normal")
        watcher = asyncio.create_task(self._watch(client, task, me, mode))
        while self._left() > 0 and task.status not in FINAL:
            answer = await self._request(client, "GET", f"/api/tasks/{task.id}", me)
            if answer is None:
                break
            if answer.status_code == 404:
                task.status = "LOST"
                break
            data = answer.json()["data"]
            if not task.history or task.history[-1] != data["status"]:
                task.history.append(data["status"])
                task.seen_at.setdefault(data["status"], time.monotonic() - self.started)
                self.progress.set()
            task.status = data["status"]
            task.model_id = (data.get("model") or {}).get("id")
            if data["phase"] == "AWAITING_SELECTION" and not task.selected:
                picked = await self._request(client, "PATCH", f"/api/tasks/{task.id}", me,
                                             json={"selectedImageIndex": i % 4})
                task.selects.append(str(picked.status_code) if picked is not None else "deadline")
                if picked is not None and picked.status_code != 200:
                    task.selects[-1] += " " + picked.text[:120]
                task.selected = picked is not None and picked.status_code in (200, 409)
                if task.selected:
                    task.seen_at["SELECTED"] = time.monotonic() - self.started
            await asyncio.sleep(POLL_MIN)
            try:
                await asyncio.wait_for(task.changed.wait(), POLL_EVERY - POLL_MIN)
            except TimeoutError:
                pass
            task.changed.clear()
        if task.status == "COMPLETED":
            task.completed_at = time.monotonic()
        # Every watcher has until the deadline to see the final frame, like every task has to
        # become final (a slow reader, 0.5 s a line, or one resuming behind a restarted
        # gateway's backlog may see it well after the task completed); how long after is
        # reported per row (`sse_lag_s`).
        try:
            await asyncio.wait_for(watcher, max(1.0, self._left()))
        except TimeoutError:
            watcher.cancel()

    async def _watch(self, client: httpx.AsyncClient, task: Task, me: dict[str, str],
                     mode: str) -> None:
        """An EventSource: reconnects after a dropped stream with the last frame id it saw
        (`Last-Event-ID`, so the gateway replays what it missed); the `task:init` snapshot of a
        finished task counts as seeing the end (what a browser gets when its id is too old)."""
        last_id = None
        while self._left() > 0 and not task.sse_final:
            resume = {"last-event-id": last_id} if last_id else {}
            try:
                async with client.stream("GET", f"/api/tasks/{task.id}/events",
                                         headers={**me, **resume},
                                         timeout=httpx.Timeout(15, read=40)) as stream:
                    task.sse_connects += 1
                    name = None
                    async for line in stream.aiter_lines():
                        if mode == "slow":
                            await asyncio.sleep(0.5)  # a reader far slower than the events
                        if line.startswith("id:"):
                            last_id = line[3:].strip() or last_id
                        elif line.startswith("event:"):
                            name = line[6:].strip()
                        elif line.startswith("data:") and name:
                            data = json.loads(line[5:])
                            if name != "heartbeat":
                                task.changed.set()
                            if name in SSE_FINAL or (name == "task:init"
                                                     and data.get("status") in FINAL):
                                task.sse_final, task.sse_final_at = True, time.monotonic()
                                return
                        if mode == "drop" and task.sse_connects >= 1:
                            return  # negative control: a client that never reconnects
            except (httpx.HTTPError, json.JSONDecodeError):
                pass
            if mode == "drop":
                return
            await asyncio.sleep(1.0)


def sse_lag(tasks: list[Task]) -> list[float]:
    """Seconds from a task's completion (seen by polling) to its watcher's final frame:
    p50, p90, max (0 when the frame came first)."""
    return p50_p90_max([max(0.0, t.sse_final_at - t.completed_at) for t in tasks
                        if t.sse_final_at is not None and t.completed_at is not None])


def p50_p90_max(values: list[float]) -> list[float]:
    """[p50, p90, max] rounded to 0.1 ([] for no values)."""
    values = sorted(values)
    if not values:
        return []
    return [round(values[len(values) // 2], 1), round(values[len(values) * 9 // 10], 1),
            round(values[-1], 1)]


def stage_times(tasks: list[Task]) -> dict[str, list[float]]:
    """When (s after the batch started) tasks first showed each status: p50, p90, max."""
    seen: dict[str, list[float]] = {}
    for task in tasks:
        for status, at in task.seen_at.items():
            seen.setdefault(status, []).append(at)
    out = {}
    for status, times in sorted(seen.items(), key=lambda kv: min(kv[1])):
        out[status] = p50_p90_max(times)
    return out


async def missing_from_gallery(url: str, tasks: list[Task], wait: float = 20.0) -> int:
    """Completed models the public gallery does not show (its projection lost an event)."""
    pending = {t.model_id for t in tasks if t.status == "COMPLETED" and t.model_id}
    deadline = time.monotonic() + wait
    async with httpx.AsyncClient(base_url=url, timeout=5) as client:
        while pending and time.monotonic() < deadline:
            for model_id in list(pending):
                try:
                    found = await client.get(f"/api/gallery/models/{model_id}")
                except httpx.HTTPError:
                    continue
                if found.status_code == 200:
                    pending.discard(model_id)
            if pending:
                await asyncio.sleep(1.0)
    return len(pending)
