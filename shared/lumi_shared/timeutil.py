"""Timestamps as the clients read them: ISO-8601 UTC with milliseconds and `Z`."""

from datetime import UTC, datetime
from functools import lru_cache


def as_utc(value: datetime) -> datetime:
    """Naive datetimes are UTC (that is how MongoDB returns them without `tz_aware`)."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def iso(value: datetime | None) -> str | None:
    """`2025-12-20T10:00:00.000Z`, or None."""
    if value is None:
        return None
    if value.tzinfo is not UTC:
        value = as_utc(value)
    return _iso_utc(value)


@lru_cache(maxsize=65536)
def _iso_utc(value: datetime) -> str:
    """Stored timestamps are immutable and read again and again: each is formatted once."""
    return value.isoformat(timespec="milliseconds")[:-6] + "Z"
