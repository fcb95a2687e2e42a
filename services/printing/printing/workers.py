"""The two worker pools: slicing (a subprocess per job, killed at the timeout) and print
jobs (drive a job from its slice to the printer and watch the printer to the end)."""

import asyncio
import contextlib
from datetime import timedelta
from typing import Any

import structlog

from lumi_shared.fetch import FetchError

from .deps import Deps
from .domain import (
    ACTIVE_PRINT,
    ACTIVE_SLICE,
    PrintStatus,
    SliceStatus,
    print_failed,
    print_finished,
    print_progressed,
    print_started,
    slice_completed,
    slice_done,
    slice_failed,
    slice_processing,
)
from .printers.base import PrinterRefused, PrinterUnavailable
from .slicing import SliceError, SliceSource, metadata
from .sources import gcode_bytes, mesh_source
from .worker_base import LeasedWorker, LeaseLost

log = structlog.get_logger("printing.workers")
SILENT = "The printer stopped answering"
LOST = "The printer no longer reports this job (restarted or cancelled on the printer)"


class SliceWorker(LeasedWorker):
    name = "slice_worker"

    def __init__(self, deps: Deps, slicer: Any, queue: Any) -> None:
        s = deps.settings
        super().__init__(deps.repo.slices, statuses=tuple(ACTIVE_SLICE), concurrency=s.SLICE_WORKERS,
                         lease=s.JOB_LEASE, poll=s.WORKER_POLL_INTERVAL, queue=queue)
        self.deps, self.slicer = deps, slicer

    async def _heartbeat(self, job_id: str, token: str) -> None:
        while True:
            await asyncio.sleep(self.lease / 3)
            await self.renew(job_id, token)

    async def run(self, doc: dict[str, Any], token: str) -> None:
        deps, guard = self.deps, {"_id": doc["_id"], "leaseToken": token}
        max_attempts = self.queue.config.retries + 1
        if doc["attempts"] > max_attempts:
            await self.store.mutate(guard, slice_failed("Slicing failed after repeated attempts"))
            return
        await self.store.mutate(guard, slice_processing)
        beat = asyncio.get_running_loop().create_task(self._heartbeat(doc["_id"], token))
        try:
            model = await deps.repo.model(doc["modelId"])
            if model is None or model.get("status") != "READY":
                raise SliceError("The 3D model is no longer available")
            source: SliceSource = mesh_source(deps, model)
            gcode = await self.slicer.slice(source, deps.profile,
                                            timeout=self.queue.config.timeout)
            meta = await asyncio.to_thread(metadata, gcode,
                                           filament_diameter=deps.profile.filament_diameter,
                                           density=deps.profile.filament_density)
            data = gcode.encode()
            meta["file_size"] = len(data)
            meta["slicer"] = self.slicer.name
            key = f"gcode/{doc['modelId']}/{doc['_id']}.gcode"
            url = await deps.storage.put(key, data, "text/x-gcode")
        except (SliceError, FetchError, ValueError) as exc:
            retry = getattr(exc, "retryable", False)
            if retry and doc["attempts"] < max_attempts:
                raise LeaseLost() from exc  # lease expires, the job is claimed again
            await self.store.mutate(guard, slice_failed(str(exc) or "Slicing failed"))
            return
        finally:
            beat.cancel()
            with contextlib.suppress(asyncio.CancelledError, LeaseLost):
                await beat
        await self.store.mutate(guard, slice_completed(key, url, meta, self.slicer.name))
        self.deps.wake_printer()
        log.info("sliced", slice_id=doc["_id"], layers=meta["layer_count"], bytes=len(data),
                 slicer=self.slicer.name)


class PrintWorker(LeasedWorker):
    name = "print_worker"

    def __init__(self, deps: Deps) -> None:
        s = deps.settings
        super().__init__(deps.repo.jobs, statuses=tuple(ACTIVE_PRINT),
                         concurrency=s.PRINT_WORKERS, lease=s.JOB_LEASE,
                         poll=s.WORKER_POLL_INTERVAL)
        self.deps = deps

    async def _step(self, guard: dict[str, Any], transition) -> None:
        if await self.store.mutate(guard, transition) is None:
            raise LeaseLost()

    async def run(self, doc: dict[str, Any], token: str) -> None:
        deps, guard = self.deps, {"_id": doc["_id"], "leaseToken": token}
        device = deps.registry.get(doc["deviceName"])
        while True:
            doc = await self.renew(doc["_id"], token)
            if device is None:
                await self._step(guard, print_failed("The printer is not configured"))
                return
            status = doc["status"]
            if status == PrintStatus.SLICING:
                await self._await_slice(guard, doc)
            elif status == PrintStatus.SLICE_COMPLETE:
                if not await self._start(guard, doc, device):
                    await asyncio.sleep(deps.settings.PRINTER_POLL_INTERVAL)
            elif status == PrintStatus.PRINTING:
                await self._watch(guard, doc, device)
            else:
                return
            if doc["status"] == PrintStatus.PRINTING or doc["status"] == PrintStatus.SLICING:
                await asyncio.sleep(deps.settings.PRINTER_POLL_INTERVAL
                                    if doc["status"] == PrintStatus.PRINTING else 0.2)

    async def _await_slice(self, guard: dict[str, Any], doc: dict[str, Any]) -> None:
        slice_job = await self.deps.repo.slices.find_one({"_id": doc["sliceTaskId"]})
        if slice_job is None:
            await self._step(guard, print_failed("The slicing job is gone"))
        elif slice_job["status"] not in ACTIVE_SLICE:
            await self._step(guard, slice_done(slice_job))

    async def _start(self, guard: dict[str, Any], doc: dict[str, Any], device: Any) -> bool:
        busy = await self.deps.repo.count(self.store, {"deviceName": doc["deviceName"],
                                                       "status": PrintStatus.PRINTING.value})
        if busy:
            return False  # the printer finishes its current job first
        adapter = self.deps.registry.adapter(device)
        try:
            data = await gcode_bytes(self.deps, doc)
            name = f"{doc['_id']}.gcode"
            ref = await adapter.upload(name, data)
            remote = await adapter.start(ref)
        except PrinterRefused as exc:
            await self._step(guard, print_failed(f"The printer refused the job: {exc}"))
            return True
        except (PrinterUnavailable, FetchError, FileNotFoundError) as exc:
            silent_for = self.store.clock() - doc["createdAt"]
            if silent_for > timedelta(seconds=self.deps.settings.PRINTER_SILENCE_TIMEOUT):
                await self._step(guard, print_failed(f"{SILENT}: {exc}"[:300]))
                return True
            return False
        layers = None
        meta = (await self.deps.repo.slices.find_one({"_id": doc.get("sliceTaskId")}) or {}).get(
            "gcodeMetadata") if doc.get("sliceTaskId") else None
        if meta:
            layers = meta.get("layer_count")
        await self._step(guard, print_started(remote, layers))
        return True

    async def _watch(self, guard: dict[str, Any], doc: dict[str, Any], device: Any) -> None:
        adapter = self.deps.registry.adapter(device)
        try:
            state = await asyncio.wait_for(adapter.status(),
                                           self.deps.settings.PRINTER_REQUEST_TIMEOUT)
        except (PrinterUnavailable, TimeoutError):
            seen = doc.get("printerSeenAt") or doc["updatedAt"]
            limit = timedelta(seconds=self.deps.settings.PRINTER_SILENCE_TIMEOUT)
            if self.store.clock() - seen > limit:
                await self._step(guard, print_failed(SILENT))
            return
        if state.state == "COMPLETE" and state.job == doc["remoteJobId"]:
            await self._step(guard, print_finished)
        elif state.state == "ERROR":
            await self._step(guard, print_failed(f"Printer error: {state.message or 'unknown'}"))
        elif state.job != doc["remoteJobId"] or state.state in ("IDLE", "CANCELLED", "COMPLETE"):
            await self._step(guard, print_failed(LOST))
        else:
            await self._step(guard, print_progressed(int(state.progress), state.layer,
                                                     state.time_remaining))


__all__ = ["SliceWorker", "PrintWorker", "SliceStatus"]
