"""Every text property of the calendars is escaped per RFC 5545 (commas, semicolons, backslashes
and line breaks), the calendar's own name included; read back, each is the text put in."""

from __future__ import annotations

import re
from typing import Any

from icalendar import Calendar, vText

from node.web.calendar import calendar_document
from tests.support import SpaceNode

NAME = 'Caffè, "Uno"; C:\\new'
EVENT = {"id": "talk", "title": "Talk", "start": "2026-12-03T18:00", "end": "2026-12-03T20:00"}


def _text(value: Any) -> str:
    """A TEXT property read back. icalendar unescapes the properties it knows; those it does not
    (NAME, X-WR-CALNAME) come as they stand in the file, so they are unescaped here (RFC 5545
    §3.3.11: backslash before backslash, comma, semicolon, and n for a line break)."""
    if isinstance(value, vText):
        return str(value)
    return re.sub(r"\\([\\;,nN])", _unescaped, value.to_ical().decode())


def _unescaped(match: re.Match[str]) -> str:
    char = match.group(1)
    return "\n" if char in "nN" else char


def test_calendar_names_with_commas_and_semicolons_read_back_unchanged(space: SpaceNode) -> None:
    profile = {"name": NAME, "contact": {"email": "hi@cube.example"}}
    response = space.client.patch("/api/v1/space", json=profile, headers=space.auth())
    assert response.status_code == 200, response.data
    response = space.client.post("/api/v1/events", json=EVENT, headers=space.auth())
    assert response.status_code == 201, response.data
    for path in ("/events.ics", "/events/talk/calendar.ics"):
        response = space.client.get(path)
        assert response.status_code == 200, path
        # RFC 5545 §3.3.11: in TEXT a comma, semicolon and backslash are escaped.
        assert 'X-WR-CALNAME:Caffè\\, "Uno"\\; C:\\\\new: events\r\n' in response.text
        cal = Calendar.from_ical(response.data)
        assert _text(cal["NAME"]) == f"{NAME}: events"
        assert _text(cal["X-WR-CALNAME"]) == f"{NAME}: events"
        (event,) = cal.walk("VEVENT")
        assert _text(event["LOCATION"]).startswith(NAME)
        assert str(event["ORGANIZER"].params["CN"]) == NAME


def test_a_calendar_name_with_a_line_break_is_written_as_one_escaped_line() -> None:
    # Names are one-line text now, but the writer must not depend on that (RFC 5545 §3.3.11).
    cal = calendar_document("First\nsecond, third", "Europe/Rome", [])
    raw = cal.to_ical()
    assert b"NAME:First\\nsecond\\, third\r\n" in raw
    parsed = Calendar.from_ical(raw)
    assert _text(parsed["X-WR-CALNAME"]) == "First\nsecond, third"
