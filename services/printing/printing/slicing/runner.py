"""Running a slicer process: its own process group, killed (with its children) on timeout."""

import asyncio
import contextlib
import os
import signal

from .base import SliceError


async def run_process(argv: list[str], *, timeout: float, cwd: str | None = None,
                      stdin: bytes | None = None) -> bytes:
    proc = await asyncio.create_subprocess_exec(
        *argv, cwd=cwd, stdin=asyncio.subprocess.PIPE if stdin is not None else None,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, start_new_session=True)
    try:
        async with asyncio.timeout(timeout):
            out, err = await proc.communicate(stdin)
    except (TimeoutError, asyncio.CancelledError) as exc:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        await proc.wait()
        if isinstance(exc, asyncio.CancelledError):
            raise
        raise SliceError(f"the slicer did not finish within {timeout:.0f} s and was stopped",
                         retryable=False) from None
    if proc.returncode != 0:
        tail = (err or out).decode(errors="replace").strip().splitlines()[-3:]
        raise SliceError("the slicer failed: " + (" | ".join(tail)[:300] or f"exit {proc.returncode}"))
    return out
