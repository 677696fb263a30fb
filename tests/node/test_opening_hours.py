"""Opening hours on a given day (node/bookings/hours.py): weekly rules, seasons and holiday
weeks that override them, closed days, hours past midnight, and a listing without hours."""

from __future__ import annotations

from datetime import date
from itertools import pairwise

from hypothesis import example, given
from hypothesis import strategies as st

from node.bookings import hours

WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday"]
MONDAY, FRIDAY, SATURDAY, SUNDAY = (date(2026, 11, d) for d in (16, 20, 21, 22))

WEEK = [
    {"days": WEEKDAYS, "opens": "08:00", "closes": "13:00"},
    {"days": WEEKDAYS, "opens": "14:00", "closes": "20:00"},
    {"days": ["Saturday"], "opens": "20:00", "closes": "02:00"},  # Saturday night
    {"days": ["Sunday"], "opens": "00:00", "closes": "00:00"},  # closed
]


def test_a_weekday_has_its_stretches_merged_and_in_order() -> None:
    assert hours.open_intervals(WEEK, MONDAY) == [(480, 780), (840, 1200)]
    assert hours.day_span(WEEK, MONDAY) == (480, 1200)
    assert hours.is_open_for(WEEK, MONDAY, 540, 600)
    assert not hours.is_open_for(WEEK, MONDAY, 720, 900)  # across the lunch break
    touching = [*WEEK, {"days": ["Monday"], "opens": "13:00", "closes": "14:00"}]
    assert hours.open_intervals(touching, MONDAY) == [(480, 1200)]


def test_hours_past_midnight_reach_into_the_next_day() -> None:
    assert hours.open_intervals(WEEK, SATURDAY) == [(1200, 1440)]
    # Sunday is closed, yet open until two from Saturday night.
    assert hours.open_intervals(WEEK, SUNDAY) == [(0, 120)]
    assert hours.is_open_for(WEEK, SUNDAY, 60, 120)
    assert not hours.is_open_for(WEEK, SUNDAY, 60, 180)


def test_a_season_overrides_the_weekly_rules_on_its_days() -> None:
    august = [
        *WEEK,
        {"days": [*WEEKDAYS, "Saturday", "Sunday"], "opens": "00:00", "closes": "00:00",
         "valid_from": "2026-08-10", "valid_through": "2026-08-23"},
        {"days": ["Monday"], "opens": "10:00", "closes": "12:00", "valid_from": "2026-08-24"},
    ]  # fmt: skip
    assert hours.open_intervals(august, date(2026, 8, 10)) == []
    assert hours.day_span(august, date(2026, 8, 23)) is None
    assert hours.open_intervals(august, date(2026, 8, 24)) == [(600, 720)]  # from its first day
    assert hours.open_intervals(august, date(2026, 8, 25)) == [(480, 780), (840, 1200)]


def test_public_holiday_rules_never_apply_and_no_hours_means_always_open() -> None:
    holidays = [{"days": ["PublicHolidays"], "opens": "10:00", "closes": "12:00"}]
    assert hours.open_intervals(holidays, MONDAY) == []
    assert hours.day_span([], FRIDAY) == (0, 1440)
    assert hours.is_open_for([], FRIDAY, 0, 1440)


@given(
    st.integers(0, 1440),
    st.integers(0, 1440),
    st.dates(date(2026, 1, 1), date(2027, 12, 31)),
)
@example(1440, 0, date(2026, 11, 16))  # opening at the day's very end opens nothing
def test_every_interval_lies_within_its_day(opens: int, closes: int, day: date) -> None:
    rules = [{"days": [*WEEKDAYS, "Saturday", "Sunday"], "opens": hours.clock(opens),
              "closes": hours.clock(closes)}]  # fmt: skip
    intervals = hours.open_intervals(rules, day)
    assert all(0 <= start < end <= 1440 for start, end in intervals)
    assert intervals == sorted(intervals)
    assert all(a[1] < b[0] for a, b in pairwise(intervals))
