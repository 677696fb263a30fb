"""The demo's calendar: each event of ``spazi demo`` lands on a day its space is open, and on the
weekday its title names, whatever weekday the demo is started on."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from node.bookings.hours import day_span
from node.demo.spaces import CUBE, DAY_NAMES, JOINT_EVENT, demo_spaces, event_day

# Seven first runs, one on each weekday (2026-11-30 is a Monday).
STARTS = [date(2026, 11, 30) + timedelta(days=n) for n in range(7)]


@pytest.mark.parametrize("today", STARTS, ids=lambda d: d.strftime("%A"))
def test_every_demo_event_is_on_an_open_day_and_on_the_weekday_it_names(today: date) -> None:
    placed = [(space, event) for space in demo_spaces(6) for event in space.events]
    placed.append((CUBE, JOINT_EVENT))
    for space, event in placed:
        day = event_day(space, event, today)
        assert day >= today + timedelta(days=event.days_ahead), event.title
        assert day_span(space.opening_hours, day) is not None, (event.title, day)
        for number, name in enumerate(DAY_NAMES):
            if name in event.title:
                assert day.weekday() == number, (event.title, day)
    friday = next(e for e in CUBE.events if e.title == "Friday demo night")
    assert event_day(CUBE, friday, today).strftime("%A") == "Friday"


def test_a_stop_signal_is_not_swallowed_by_an_except_exception_it_interrupts() -> None:
    # SIGTERM may arrive while a request to a starting node is inside `except Exception`.
    from node.demo.cli import _Terminated

    def interrupted() -> None:
        try:
            raise _Terminated(15)
        except Exception:  # what a library or the demo's own polling does
            pass

    with pytest.raises(_Terminated):
        interrupted()
