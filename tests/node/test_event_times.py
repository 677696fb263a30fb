"""Event start and end times: wall-clock time in the event's zone to a UTC instant."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from node.clock import utc_instant

ZONES = ["Europe/Rome", "Europe/London", "America/New_York", "Australia/Lord_Howe", "Asia/Kolkata",
         "Pacific/Chatham", "America/St_Johns", "UTC"]  # fmt: skip


def reference(local: str, tz: str) -> datetime:
    """The plain form of the conversion: attach the zone, then convert."""
    return datetime.fromisoformat(local).replace(tzinfo=ZoneInfo(tz)).astimezone(UTC)


@settings(max_examples=400, deadline=None)
@given(
    wall=st.datetimes(min_value=datetime(1970, 1, 2), max_value=datetime(2099, 12, 30)),
    tz=st.sampled_from(ZONES),
    seconds=st.booleans(),
)
def test_same_instant_as_the_plain_conversion(wall: datetime, tz: str, seconds: bool) -> None:
    local = wall.strftime("%Y-%m-%dT%H:%M:%S" if seconds else "%Y-%m-%dT%H:%M")
    got = utc_instant(local, tz)
    assert got == reference(local, tz)
    assert got.utcoffset() is not None and got.utcoffset().total_seconds() == 0


@pytest.mark.parametrize(
    ("local", "tz", "expected"),
    [
        # Rome in winter is UTC+1, in summer UTC+2.
        ("2026-01-15T09:00", "Europe/Rome", "2026-01-15T08:00:00+00:00"),
        ("2026-07-15T09:00", "Europe/Rome", "2026-07-15T07:00:00+00:00"),
        # The hour skipped when clocks go forward (29 March 2026, 02:00 → 03:00): fold 0 reads
        # it with the offset before the change, as zoneinfo does.
        ("2026-03-29T02:30", "Europe/Rome", "2026-03-29T01:30:00+00:00"),
        # The hour that happens twice in October: fold 0 is the first of the two.
        ("2026-10-25T02:30", "Europe/Rome", "2026-10-25T00:30:00+00:00"),
        ("2026-12-01T09:00:30", "Asia/Kolkata", "2026-12-01T03:30:30+00:00"),
    ],
)
def test_known_instants(local: str, tz: str, expected: str) -> None:
    assert utc_instant(local, tz) == datetime.fromisoformat(expected)


@pytest.mark.parametrize("tz", ["Pacific/Kiritimati", "Etc/GMT+12", "Asia/Tokyo"])
@pytest.mark.parametrize("local", ["0002-01-01T00:00", "9998-12-31T23:59:59"])
def test_every_accepted_year_converts_in_every_zone(local: str, tz: str) -> None:
    # federation.schema accepts the years 0002..9998 so that this never overflows in sync.
    shift = utc_instant(local, tz).replace(tzinfo=None) - datetime.fromisoformat(local)
    assert abs(shift.days) <= 1
