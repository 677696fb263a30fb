"""When a space is open on a given day, from the ``opening_hours`` of its listing
(protocol.md §`space.profile`, schema.org OpeningHoursSpecification semantics).

Pure arithmetic on the listing, in minutes from the day's midnight at the space. A rule applies
to a day when the day's weekday is in its ``days`` and the day lies within its optional
``valid_from`` … ``valid_through`` (both inclusive). Rules with a validity range are the
exceptions of a season or a holiday week: when any of them applies to a day, only they count
that day, so ``Mon-Sun closed from 2026-08-10 until 2026-08-23`` closes August's weeks whatever
the weekly hours say. ``00:00``–``00:00`` is closed; a closing time at or before the opening time
closes after midnight, on the next day (so the previous day's late hours reach into this one).
``PublicHolidays`` rules never apply: which days are holidays is not in the listing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, timedelta
from typing import Any

WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
DAY_MINUTES = 24 * 60

Interval = tuple[int, int]  # [start, end) in minutes from the day's local midnight


def minutes(clock: str) -> int:
    """``HH:MM`` → minutes after midnight (``24:00`` is 1440)."""
    hours, mins = clock.split(":")
    return int(hours) * 60 + int(mins)


def clock(value: int) -> str:
    """Minutes after midnight → ``HH:MM`` (1440 is ``24:00``)."""
    return f"{value // 60:02d}:{value % 60:02d}"


def _rules_for(specs: Sequence[Mapping[str, Any]], day: date) -> list[Mapping[str, Any]]:
    weekday = WEEKDAYS[day.weekday()]
    text = day.isoformat()
    applying = [
        spec
        for spec in specs
        if weekday in spec.get("days", ())
        and spec.get("valid_from", "0000-00-00") <= text <= spec.get("valid_through", "9999-99-99")
    ]
    special = [s for s in applying if "valid_from" in s or "valid_through" in s]
    return special or applying


def _own_intervals(specs: Sequence[Mapping[str, Any]], day: date) -> list[Interval]:
    """The hours that open on ``day``; an interval past 1440 runs into the next day."""
    found = []
    for spec in _rules_for(specs, day):
        opens, closes = minutes(spec["opens"]), minutes(spec["closes"])
        if opens == closes == 0:
            continue  # closed
        if closes <= opens:
            closes += DAY_MINUTES
        found.append((opens, closes))
    return found


def _merged(intervals: list[Interval]) -> list[Interval]:
    merged: list[Interval] = []
    for start, end in sorted(intervals):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def open_intervals(specs: Sequence[Mapping[str, Any]], day: date) -> list[Interval]:
    """When the space is open during ``day`` (minutes within 0…1440), overlapping rules merged
    and the previous evening's hours past midnight included."""
    spill = [
        (0, end - DAY_MINUTES)
        for _start, end in _own_intervals(specs, day - timedelta(days=1))
        if end > DAY_MINUTES
    ]
    own = [(start, min(end, DAY_MINUTES)) for start, end in _own_intervals(specs, day)]
    return _merged([(start, end) for start, end in spill + own if start < end])


def is_open_for(specs: Sequence[Mapping[str, Any]], day: date, start: int, end: int) -> bool:
    """Whether ``[start, end)`` (minutes of ``day``) lies within one stretch of opening hours.
    A space that publishes no hours is taken as always open: it has said nothing to refuse on."""
    if not specs:
        return True
    return any(s <= start and end <= e for s, e in open_intervals(specs, day))


def day_span(specs: Sequence[Mapping[str, Any]], day: date) -> Interval | None:
    """From the first opening to the last closing of ``day`` (a desk booked for the day), or
    None when the space is closed all day; the whole day when no hours are published."""
    if not specs:
        return (0, DAY_MINUTES)
    intervals = open_intervals(specs, day)
    if not intervals:
        return None
    return (intervals[0][0], intervals[-1][1])
