"""Domain-neutral errors with the machine codes and HTTP statuses of the public API policy."""

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


class ValidationFailed(AppError):
    status, code, default_message = 400, "VALIDATION_ERROR", "Invalid request"


class Unauthorized(AppError):
    status, code, default_message = 401, "UNAUTHORIZED", "Please log in"


class InsufficientCredits(AppError):
    status, code, default_message = 402, "INSUFFICIENT_CREDITS", "Not enough credits"


class Forbidden(AppError):
    status, code, default_message = 403, "FORBIDDEN", "Forbidden"


class NotFound(AppError):
    status, code, default_message = 404, "NOT_FOUND", "Not found"


class InvalidState(AppError):
    status, code, default_message = 409, "INVALID_STATE", "Not allowed in the current state"


class Conflict(AppError):
    status, code, default_message = 409, "CONFLICT", "Conflict"


class PayloadTooLarge(AppError):
    status, code, default_message = 413, "PAYLOAD_TOO_LARGE", "Request body too large"


class RateLimited(AppError):
    status, code, default_message = 429, "RATE_LIMITED", "Too many requests"

    def __init__(self, message: str | None = None, *, retry_after: int = 60, **kw: Any) -> None:
        super().__init__(message, headers={"Retry-After": str(max(1, int(retry_after)))}, **kw)
        self.retry_after = retry_after


class UpstreamError(AppError):
    status, code, default_message = 502, "UPSTREAM_ERROR", "Upstream service error"


class ServiceUnavailable(AppError):
    status, code, default_message = 503, "SERVICE_UNAVAILABLE", "Service unavailable"


class UpstreamTimeout(AppError):
    status, code, default_message = 504, "UPSTREAM_TIMEOUT", "Upstream service timed out"


class PoisonMessage(Exception):
    """Raised by a consumer for input that can never succeed: the message goes to the DLQ at once."""
