"""Running a slicer process: its own process group, killed (with its children) on timeout."""

import asyncio
import contextlib
import os
import signal

import structlog

from .base import SliceError

log = structlog.get_logger("printing.slicer")


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
        text = (err or out).decode(errors="replace").strip()
        # The whole tail is for the operator; the user sees the last line (the reason), never
        # the lines of a traceback.
        log.warning("slicer_process_failed", program=os.path.basename(argv[0]),
                    exit=proc.returncode, output=text[-2000:])
        last = text.splitlines()[-1][:300] if text else f"exit {proc.returncode}"
        raise SliceError(f"the slicer failed: {last}")
    return out
