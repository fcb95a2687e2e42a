from datetime import UTC, datetime, timedelta, timezone

import pytest

from generation.domain.clock import next_updated_at, parse_timestamp
from lumi_shared.timeutil import iso

T0 = datetime(2025, 12, 20, 10, 0, 0, 123000, tzinfo=UTC)


def test_iso_has_milliseconds_and_z():
    assert iso(T0) == "2025-12-20T10:00:00.123Z"
    assert iso(datetime(2025, 1, 1, 8, 0, tzinfo=timezone(timedelta(hours=8)))) == \
        "2025-01-01T00:00:00.000Z"
    assert iso(None) is None


def test_naive_datetimes_are_read_as_utc():
    assert iso(datetime(2025, 1, 1, 0, 0, 0, 5000)) == "2025-01-01T00:00:00.005Z"


def test_next_updated_at_is_strictly_increasing_within_one_millisecond():
    first = next_updated_at(T0, T0)
    second = next_updated_at(first, T0)
    assert T0 < first < second
    assert second - T0 == timedelta(milliseconds=2)


def test_next_updated_at_follows_the_clock_when_it_is_ahead():
    later = T0 + timedelta(seconds=3)
    assert next_updated_at(T0, later) == later
    assert next_updated_at(None, later) == later


def test_next_updated_at_never_goes_back_when_the_clock_does():
    assert next_updated_at(T0, T0 - timedelta(seconds=5)) == T0 + timedelta(milliseconds=1)


@pytest.mark.parametrize("raw", ["2025-12-20T10:00:00.123Z", "2025-12-20T10:00:00.123+00:00",
                                 "2025-12-20T18:00:00.123+08:00", "2025-12-20T18:00:00.123 08:00",
                                 "2025-12-20T10:00:00.123", "1766224800123"])
def test_parse_timestamp_accepts_iso_offsets_naive_and_epoch_millis(raw):
    assert parse_timestamp(raw) == T0


@pytest.mark.parametrize("raw", ["", "yesterday", "2025-13-01T00:00:00Z", "12:00", "2025-12-20Tx",
                                 "not-a-date-at-all"])
def test_parse_timestamp_rejects_garbage(raw):
    with pytest.raises(ValueError):
        parse_timestamp(raw)
