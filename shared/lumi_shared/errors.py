"""Domain-neutral errors with the machine codes and HTTP statuses of the public API policy.

Each error of the policy is one row of `_POLICY` (class name, status, code, default message);
services subclass them (`class ModelNotFound(NotFound)`) to change the code or message."""

from typing import Any


class AppError(Exception):
    status = 500
    code = "INTERNAL_ERROR"
    default_message = "Internal server error"

    def __init__(self, message: str | None = None, *, details: Any = None,
                 headers: dict[str, str] | None = None) -> None:
        self.message = message or self.default_message
        self.details = details
        self.headers = headers or {}
        super().__init__(self.message)


_POLICY = """
ValidationFailed     400 VALIDATION_ERROR     Invalid request
Unauthorized         401 UNAUTHORIZED         Please log in
InsufficientCredits  402 INSUFFICIENT_CREDITS Not enough credits
Forbidden            403 FORBIDDEN            Forbidden
NotFound             404 NOT_FOUND            Not found
InvalidState         409 INVALID_STATE        Not allowed in the current state
Conflict             409 CONFLICT             Conflict
PayloadTooLarge      413 PAYLOAD_TOO_LARGE    Request body too large
UpstreamError        502 UPSTREAM_ERROR       Upstream service error
ServiceUnavailable   503 SERVICE_UNAVAILABLE  Service unavailable
UpstreamTimeout      504 UPSTREAM_TIMEOUT     Upstream service timed out
"""


def _declare(policy: str) -> dict[str, type[AppError]]:
    classes: dict[str, type[AppError]] = {}
    for row in policy.strip().splitlines():
        name, status, code, message = row.split(maxsplit=3)
        classes[name] = type(name, (AppError,), {
            "status": int(status), "code": code, "default_message": message,
            "__module__": __name__, "__qualname__": name})
    return classes


globals().update(_declare(_POLICY))


class RateLimited(AppError):
    status, code, default_message = 429, "RATE_LIMITED", "Too many requests"

    def __init__(self, message: str | None = None, *, retry_after: int = 60, **kw: Any) -> None:
        super().__init__(message, headers={"Retry-After": str(max(1, int(retry_after)))}, **kw)
        self.retry_after = retry_after


class PoisonMessage(Exception):
    """Raised by a consumer for input that can never succeed: the message goes to the DLQ at once."""
