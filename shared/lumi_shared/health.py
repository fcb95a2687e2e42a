"""`/healthz` (liveness, no dependencies) and `/readyz` (dependency checks, 503 when one fails)."""

import asyncio
from collections.abc import Awaitable, Callable

from fastapi import APIRouter
from fastapi.responses import JSONResponse

Check = Callable[[], Awaitable[bool]]


async def run_checks(checks: dict[str, Check], timeout: float = 2.0) -> dict[str, bool]:
    async def one(check: Check) -> bool:
        try:
            return bool(await asyncio.wait_for(check(), timeout))
        except Exception:
            return False

    names = list(checks)
    results = await asyncio.gather(*(one(checks[n]) for n in names))
    return dict(zip(names, results, strict=True))


def health_router(checks: dict[str, Check]) -> APIRouter:
    router = APIRouter(tags=["health"])

    @router.get("/healthz")
    async def healthz() -> dict:
        return {"status": "success", "data": {"status": "ok"}}

    @router.get("/readyz")
    async def readyz() -> JSONResponse:
        results = await run_checks(checks)
        if all(results.values()):
            return JSONResponse({"status": "success", "data": {"status": "ready", "checks": results}})
        return JSONResponse({"status": "error", "message": "Not ready", "code": "SERVICE_UNAVAILABLE",
                             "data": {"status": "not_ready", "checks": results}}, status_code=503)

    return router
