"""The old backend's health and root answers (`/health`, `/health/detailed`, `/`), next to
`/healthz` and `/readyz`, for monitors and scripts written against it (api-contract §1.8)."""

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from lumi_shared.health import run_checks
from lumi_shared.timeutil import iso

Check = Callable[[], Awaitable[bool]]


def legacy_health_router(*, broker: Check, services: dict[str, Check]) -> APIRouter:
    """`checks.database` = every service behind the gateway answers ready (each checks its own
    database); `checks.redis` = the message broker (the old backend's queue store); one more
    entry per service says which one is down."""
    router = APIRouter(include_in_schema=False)

    def now() -> str:
        return iso(datetime.now(UTC))

    @router.get("/health")
    async def health() -> dict:
        return {"status": "success", "data": {"status": "ok", "timestamp": now()}}

    @router.get("/health/detailed")
    async def health_detailed() -> JSONResponse:
        results = await run_checks({"redis": broker, **services})
        checks = {"database": all(results[name] for name in services), **results}
        if all(checks.values()):
            return JSONResponse({"status": "success", "data": {
                "status": "ok", "checks": checks, "timestamp": now()}})
        return JSONResponse({"status": "fail", "data": {
            "message": "Some services are unavailable", "code": "SERVICE_UNAVAILABLE",
            "checks": checks, "timestamp": now()}}, status_code=503)

    @router.get("/")
    async def root() -> dict:
        return {"service": "Lumi Server API", "version": "1.0.0", "status": "running"}

    return router
