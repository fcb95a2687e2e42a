"""Millisecond UTC time: what MongoDB stores, what clients see, and the `since` change marker."""

from datetime import UTC, datetime, timedelta

from lumi_shared.timeutil import as_utc

ONE_MS = timedelta(milliseconds=1)
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def truncate_ms(value: datetime) -> datetime:
    return value.replace(microsecond=value.microsecond // 1000 * 1000)


def utcnow_ms() -> datetime:
    return truncate_ms(datetime.now(UTC))


def next_updated_at(previous: datetime | None, now: datetime) -> datetime:
    """Strictly increasing per task, so two writes within one millisecond are both visible."""
    now = truncate_ms(as_utc(now))
    if previous is None:
        return now
    return max(now, truncate_ms(as_utc(previous)) + ONE_MS)



def parse_timestamp(raw: str) -> datetime:
    """ISO-8601 / RFC 3339 (`Z` or an offset; naive means UTC) or epoch milliseconds."""
    text = raw.strip()
    if not text:
        raise ValueError("empty timestamp")
    if text.isdigit():
        return EPOCH + timedelta(milliseconds=int(text))
    if len(text) < 10 or text[4] != "-":
        raise ValueError("not an ISO-8601 timestamp")
    return as_utc(datetime.fromisoformat(text.replace(" ", "+") if "T" in text else text))
