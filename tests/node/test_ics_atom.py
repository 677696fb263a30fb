"""``/events.ics`` read back with the icalendar library and ``/feed.atom`` with feedparser,
on SQLite and PostgreSQL: time zones, stable ids across edits, sequence, cancellation, escaping."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import feedparser
from icalendar import Calendar

from federation.keys import fingerprint
from tests.support import FakeClock, SpaceNode

TALK = {
    "id": "talk",
    "title": "Lightning talks",
    "description": "Five minutes each.",
    "start": "2026-12-03T18:00",
    "end": "2026-12-03T20:00",
    "tags": ["tech", "talks"],
}
NEW_YORK = {
    "id": "nyc-call",
    "title": "Call with WeCreateNYC",
    "start": "2027-04-01T12:00",
    "end": "2027-04-01T13:00",
    "timezone": "America/New_York",
}
TRICKY = 'Pizza, beer; and "chat"\nafter <hours> & more'


def _add(space: SpaceNode, event: dict[str, Any]) -> None:
    response = space.client.post("/api/v1/events", json=event, headers=space.auth())
    assert response.status_code == 201, response.get_json()


def _calendar(space: SpaceNode, path: str = "/events.ics") -> Calendar:
    response = space.client.get(path)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/calendar; charset=utf-8"
    return Calendar.from_ical(response.data)


def _vevent(cal: Calendar, event_id: str) -> Any:
    found = [e for e in cal.walk("VEVENT") if str(e["URL"]).endswith(f"/events/{event_id}")]
    assert len(found) == 1
    return found[0]


def _atom(space: SpaceNode) -> Any:
    response = space.client.get("/feed.atom")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/atom+xml; charset=utf-8"
    parsed = feedparser.parse(response.data)
    assert not parsed.bozo, parsed.get("bozo_exception")
    assert parsed.version == "atom10"
    return parsed


# -- iCalendar ----------------------------------------------------------------------------------


def test_calendar_has_header_timezones_and_one_vevent_per_event(space: SpaceNode) -> None:
    _add(space, TALK)
    _add(space, NEW_YORK)
    cal = _calendar(space)
    assert str(cal["VERSION"]) == "2.0"
    assert "Spazi" in str(cal["PRODID"])
    assert str(cal["X-WR-CALNAME"]) == "TheCube: events"
    assert sorted(str(tz["TZID"]) for tz in cal.walk("VTIMEZONE")) == [
        "America/New_York",
        "Europe/London",
    ]
    assert cal.get_missing_tzids() == set()
    events = cal.walk("VEVENT")
    assert len(events) == 2

    talk = _vevent(cal, "talk")
    assert str(talk["SUMMARY"]) == "Lightning talks"
    assert "Five minutes each." in str(talk["DESCRIPTION"])
    assert str(talk["URL"]) == "http://a.test/events/talk"
    assert str(talk["STATUS"]) == "CONFIRMED"
    assert talk["DTSTART"].params["TZID"] == "Europe/London"
    assert talk.start.replace(tzinfo=None) == datetime(2026, 12, 3, 18, 0)
    assert talk.end.replace(tzinfo=None) == datetime(2026, 12, 3, 20, 0)
    assert [str(c) for c in talk["CATEGORIES"].cats] == ["tech", "talks"]
    assert "DTSTAMP" in talk
    assert str(talk["UID"]) == f"talk@{fingerprint(space.id).lower()}.spazi"

    call = _vevent(cal, "nyc-call")
    assert call["DTSTART"].params["TZID"] == "America/New_York"
    # The instant is right: 12:00 in New York on 1 April 2027 (EDT) is 16:00 UTC.
    assert call.start.utcoffset().total_seconds() == -4 * 3600


def test_uid_stays_and_sequence_grows_across_edit_and_cancel(space: SpaceNode) -> None:
    _add(space, TALK)
    before = _vevent(_calendar(space), "talk")

    patched = space.client.patch(
        "/api/v1/events/talk", json={"title": "Lightning talks (room 2)"}, headers=space.auth()
    )
    assert patched.status_code == 200
    edited = _vevent(_calendar(space), "talk")
    assert str(edited["UID"]) == str(before["UID"])
    assert int(edited["SEQUENCE"]) > int(before["SEQUENCE"])
    assert str(edited["SUMMARY"]) == "Lightning talks (room 2)"

    cancelled = space.client.post(
        "/api/v1/events/talk/cancel", json={"reason": "Speaker ill"}, headers=space.auth()
    )
    assert cancelled.status_code == 204
    gone = _vevent(_calendar(space), "talk")
    assert str(gone["UID"]) == str(before["UID"])
    assert str(gone["STATUS"]) == "CANCELLED"
    assert int(gone["SEQUENCE"]) > int(edited["SEQUENCE"])
    assert "Speaker ill" in str(gone["DESCRIPTION"])


def test_single_event_file_has_the_subscription_uid(space: SpaceNode) -> None:
    _add(space, TALK)
    whole = _vevent(_calendar(space), "talk")
    response = space.client.get("/events/talk/calendar.ics")
    assert 'filename="talk.ics"' in response.headers["Content-Disposition"]
    single = _calendar(space, "/events/talk/calendar.ics")
    (event,) = single.walk("VEVENT")
    assert str(event["UID"]) == str(whole["UID"])
    assert [str(tz["TZID"]) for tz in single.walk("VTIMEZONE")] == ["Europe/London"]
    assert space.client.get("/events/nope/calendar.ics").status_code == 404


def test_calendar_text_round_trips_through_escaping(space: SpaceNode) -> None:
    _add(space, {**TALK, "title": TRICKY.replace("\n", " "), "description": TRICKY})
    talk = _vevent(_calendar(space), "talk")
    assert str(talk["SUMMARY"]) == TRICKY.replace("\n", " ")
    assert str(talk["DESCRIPTION"]).startswith(TRICKY)


def test_calendar_of_a_space_without_events_is_valid(space: SpaceNode) -> None:
    cal = _calendar(space)
    assert cal.walk("VEVENT") == []
    assert str(cal["X-WR-CALNAME"]) == "TheCube: events"


def test_calendar_answers_304_when_unchanged(space: SpaceNode) -> None:
    _add(space, TALK)
    first = space.client.get("/events.ics")
    etag = first.headers["ETag"]
    again = space.client.get("/events.ics", headers={"If-None-Match": etag})
    assert again.status_code == 304
    space.client.patch("/api/v1/events/talk", json={"capacity": 30}, headers=space.auth())
    changed = space.client.get("/events.ics", headers={"If-None-Match": etag})
    assert changed.status_code == 200


# -- Atom ---------------------------------------------------------------------------------------


def _utc(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def test_atom_feed_has_one_entry_per_event(space: SpaceNode, clock: FakeClock) -> None:
    _add(space, TALK)
    _add(space, NEW_YORK)
    parsed = _atom(space)
    assert parsed.feed.title == "TheCube: events"
    assert parsed.feed.id == f"urn:spazi:{fingerprint(space.id)}:events"
    assert any(link.rel == "self" for link in parsed.feed.links)
    by_id = {e.id: e for e in parsed.entries}
    talk = by_id[f"urn:spazi:{fingerprint(space.id)}:event:talk"]
    assert talk.title == "Lightning talks"
    assert talk.link == "http://a.test/events/talk"
    assert "Thu 3 Dec 2026, 18:00–20:00" in talk.summary
    assert "Five minutes each." in talk.summary
    assert [t.term for t in talk.tags] == ["tech", "talks"]
    assert talk.updated == _utc(clock.now)  # the time of the entry that published it
    assert len(parsed.entries) == 2


def test_atom_entry_keeps_its_id_and_moves_up_when_edited(
    space: SpaceNode, clock: FakeClock
) -> None:
    _add(space, TALK)
    clock.advance(60)
    _add(space, NEW_YORK)
    first = _atom(space)
    assert [e.id.rsplit(":", 1)[1] for e in first.entries] == ["nyc-call", "talk"]

    clock.advance(3600)
    edited_at = clock.now
    space.client.patch("/api/v1/events/talk", json={"title": "Talks"}, headers=space.auth())
    space.client.post("/api/v1/events/talk/cancel", headers=space.auth())
    second = _atom(space)
    assert [e.id.rsplit(":", 1)[1] for e in second.entries] == ["talk", "nyc-call"]
    talk = second.entries[0]
    assert talk.id == first.entries[1].id
    assert talk.title == "Cancelled: Talks"
    assert talk.updated == _utc(edited_at)
    assert second.feed.updated == talk.updated


def test_atom_escapes_markup(space: SpaceNode) -> None:
    # Characters XML cannot carry (such as U+000B) are not *text* (protocol.md §Entry types):
    # tests/node/test_text_input.py shows they never get this far.
    title = "<b>Bold</b> & ]]> tab"
    _add(space, {**TALK, "title": title, "description": TRICKY})
    response = space.client.get("/feed.atom")
    assert b"<b>" not in response.data
    (entry,) = _atom(space).entries
    assert entry.title == title
    assert "after <hours> & more" in entry.summary


def test_calendars_offer_a_webcal_subscription_and_a_refresh_interval(space: SpaceNode) -> None:
    page = space.client.get("/events").get_data(as_text=True)
    assert '<a href="webcal://a.test/events.ics">subscribe</a>' in page
    assert '<a href="/events.ics">download the iCalendar file</a>' in page
    network = space.client.get("/network/events?city=Prato").get_data(as_text=True)
    assert 'href="webcal://a.test/network/events.ics?city=Prato"' in network
    cal = Calendar.from_ical(space.client.get("/events.ics").data)
    assert cal["REFRESH-INTERVAL"].to_ical() == b"PT1H"
    assert str(cal["X-PUBLISHED-TTL"]) == "PT1H"


def test_the_atom_feed_is_atom_to_readers_and_styled_xml_to_browsers(space: SpaceNode) -> None:
    reader = space.client.get("/feed.atom", headers={"Accept": "application/atom+xml"})
    anything = space.client.get("/feed.atom", headers={"Accept": "*/*"})
    browser = space.client.get(
        "/feed.atom",
        headers={"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"},
    )
    assert reader.mimetype == anything.mimetype == "application/atom+xml"
    assert browser.mimetype == "application/xml"
    assert reader.data == browser.data and "Accept" in browser.headers["Vary"]
    assert b'<?xml-stylesheet type="text/css" href="/static/atom.css"?>' in browser.data
    assert browser.headers["Content-Security-Policy"].startswith(
        "default-src 'none'; style-src 'self'"
    )
    assert feedparser.parse(reader.data).bozo == 0
