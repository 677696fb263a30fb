"""Events imported from a calendar the space already keeps, served over real HTTP on loopback:
added, changed, cancelled and removed upstream (cancelled here, never deleted), recurring events
expanded for a window, fields the admin set kept, an unchanged calendar costing nothing; every
refusal (private address, not a calendar, too large, a bad or repeated URL) recorded and
changing nothing; the CLI, the admin page and the hourly job."""

from __future__ import annotations

import re
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask, Response
from sqlalchemy import func, select

from node.calendar_import import jobs, sync
from node.calendar_import.models import CalendarSubscription
from node.cli.main import main
from node.errors import Conflict, InvalidInput
from node.feedstore import head
from node.models import Event
from node.services import events
from tests.e2e.browser import Served, served
from tests.node.test_admin_pages import csrf_token, logged_in_admin
from tests.support import FakeClock, SpaceNode, make_node

# The fake clock's "now" is 2026-11-18; events are a few weeks ahead of it.
HEADER = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Test//Calendar//EN\r\n"
FOOTER = "END:VCALENDAR\r\n"


def vevent(uid: str, summary: str, start: str, end: str, *extra: str) -> str:
    zone = "TZID=Europe/Rome"
    lines = ["BEGIN:VEVENT", f"UID:{uid}", f"DTSTART;{zone}:{start}", f"DTEND;{zone}:{end}",
             f"SUMMARY:{summary}", *extra, "END:VEVENT"]  # fmt: skip
    return "\r\n".join(lines) + "\r\n"


APERITIVO = vevent("aperitivo@cal", "Aperitivo", "20261210T180000", "20261210T200000",
                   "DESCRIPTION:Bring a friend")  # fmt: skip
WORKSHOP = vevent("workshop@cal", "Workshop", "20261212T100000", "20261212T130000")
WEEKLY = vevent("weekly@cal", "Coding dojo", "20261201T190000", "20261201T210000",
                "RRULE:FREQ=WEEKLY;COUNT=4")  # fmt: skip


class CalendarServer:
    """A calendar service on loopback whose document the test changes."""

    def __init__(self, server: Served) -> None:
        self.server = server
        self.text = HEADER + FOOTER
        self.content_type = "text/calendar"

    @property
    def url(self) -> str:
        return self.server.url + "/calendar.ics"

    def publish(self, *items: str) -> None:
        self.text = HEADER + "".join(items) + FOOTER


@pytest.fixture
def calendar() -> Iterator[CalendarServer]:
    app = Flask("calendar")
    holder: dict[str, CalendarServer] = {}
    app.add_url_rule(
        "/calendar.ics",
        "calendar",
        lambda: Response(holder["cal"].text, mimetype=holder["cal"].content_type),
    )
    app.add_url_rule("/huge.ics", "huge", lambda: Response(b"x" * (6 * 1024 * 1024)))
    with served(app) as server:
        holder["cal"] = CalendarServer(server)
        yield holder["cal"]


@pytest.fixture
def hub(tmp_path: Path, clock: FakeClock) -> Iterator[SpaceNode]:
    """A node allowed to reach loopback (the calendar server runs there)."""
    space = make_node(
        tmp_path, clock=clock, timezone="Europe/Rome", settings={"allow_private_peers": True}
    )
    yield space
    space.close()


def _events(space: SpaceNode) -> dict[str, Event]:
    with space.node.db.read() as session:
        rows = session.scalars(select(Event).where(Event.origin == space.id))
        return {row.body["title"] + " " + row.body["start"]: row for row in rows}


def _subscribe(space: SpaceNode, url: str, follow: bool = True) -> int:
    with space.node.db.write() as session:
        return sync.subscribe(session, space.node, url, follow).id


def test_a_calendar_is_imported_and_follows_its_changes(
    hub: SpaceNode, calendar: CalendarServer
) -> None:
    calendar.publish(APERITIVO, WORKSHOP)
    sub = _subscribe(hub, calendar.url)
    report = sync.sync(hub.node, sub)
    assert len(report.added) == 2 and not report.updated and not report.cancelled
    found = _events(hub)
    aperitivo = found["Aperitivo 2026-12-10T18:00"]
    assert (
        aperitivo.body["timezone"] == "Europe/Rome" and aperitivo.body["end"] == "2026-12-10T20:00"
    )
    assert aperitivo.body["description"] == "Bring a friend"

    # Nothing changed upstream: one fetch, nothing published.
    with hub.node.db.read() as session:
        before = head(session, hub.id).seq
    assert sync.sync(hub.node, sub).not_modified
    with hub.node.db.read() as session:
        assert head(session, hub.id).seq == before

    # The admin tags the workshop here; upstream renames it, cancels the aperitivo, and a new
    # event appears.
    workshop_id = found["Workshop 2026-12-12T10:00"].id
    with hub.node.db.write() as session:
        events.update_event(session, hub.node, workshop_id, {"tags": ["coding"]})
    renamed = WORKSHOP.replace("SUMMARY:Workshop", "SUMMARY:Python workshop")
    cancelled = APERITIVO.replace("END:VEVENT", "STATUS:CANCELLED\r\nEND:VEVENT")
    new = vevent("talk@cal", "Talk", "20261214T180000", "20261214T190000")
    calendar.publish(cancelled, renamed, new)
    report = sync.sync(hub.node, sub)
    assert (len(report.added), report.updated, report.cancelled) == (
        1, [workshop_id], [aperitivo.id],
    )  # fmt: skip
    found = _events(hub)
    workshop = found["Python workshop 2026-12-12T10:00"]
    assert workshop.id == workshop_id and workshop.body["tags"] == ["coding"]  # kept
    assert found["Aperitivo 2026-12-10T18:00"].cancelled

    # Removed upstream: cancelled here, not deleted.
    calendar.publish(renamed)
    report = sync.sync(hub.node, sub)
    talk = found["Talk 2026-12-14T18:00"]
    assert report.cancelled == [talk.id]
    row = _events(hub)["Talk 2026-12-14T18:00"]
    assert row.cancelled and row.cancel_reason == sync.REMOVED


def test_recurring_events_become_their_occurrences_in_the_window(
    hub: SpaceNode, calendar: CalendarServer, clock: FakeClock
) -> None:
    calendar.publish(WEEKLY)
    sub = _subscribe(hub, calendar.url)
    report = sync.sync(hub.node, sub)
    starts = sorted(k.split(" ")[-1] for k in _events(hub))
    assert len(report.added) == 4
    assert starts == [f"2026-12-{d:02d}T19:00" for d in (1, 8, 15, 22)]
    # One occurrence removed upstream (EXDATE): that one is cancelled, the others stay.
    calendar.publish(WEEKLY.replace("RRULE", "EXDATE;TZID=Europe/Rome:20261215T190000\r\nRRULE"))
    report = sync.sync(hub.node, sub)
    assert len(report.cancelled) == 1 and report.unchanged == 3
    assert _events(hub)["Coding dojo 2026-12-15T19:00"].cancelled
    # Weeks later the past occurrences drop out of the window: they are not cancelled.
    clock.advance(25 * 86400)  # 13 December
    report = sync.sync(hub.node, sub, force=True)
    assert report.cancelled == [] and report.unchanged == 1  # only 22 December is ahead
    assert not any(_events(hub)[f"Coding dojo 2026-12-{d}T19:00"].cancelled for d in ("01", "08"))


def test_refusals_are_recorded_and_change_nothing(
    tmp_path: Path, clock: FakeClock, hub: SpaceNode, calendar: CalendarServer
) -> None:
    before = hub.counts()
    with hub.node.db.write() as session, pytest.raises(InvalidInput, match="url"):
        sync.subscribe(session, hub.node, "ftp://example.org/cal.ics", True)
    sub = _subscribe(hub, calendar.url)
    with hub.node.db.write() as session, pytest.raises(Conflict):
        sync.subscribe(session, hub.node, calendar.url, False)

    calendar.text, calendar.content_type = "<html>not a calendar</html>", "text/html"
    with pytest.raises(InvalidInput, match="iCalendar"):
        sync.sync(hub.node, sub)
    huge = _subscribe(hub, calendar.server.url + "/huge.ics")
    with pytest.raises(InvalidInput, match="response-too-large"):
        sync.sync(hub.node, huge)
    with hub.node.db.read() as session:
        errors = {r.id: r.last_error for r in sync.subscriptions(session)}
    assert "iCalendar" in (errors[sub] or "") and "too-large" in (errors[huge] or "")
    after = hub.counts()
    assert after["head"] == before["head"] and after["events"] == before["events"]

    # A node that may not reach private addresses does not fetch from loopback.
    guarded = make_node(tmp_path / "guarded", clock=clock)
    calendar.publish(APERITIVO)
    guarded_sub = _subscribe(guarded, calendar.url)
    with pytest.raises(InvalidInput, match="private-address"):
        sync.sync(guarded.node, guarded_sub)
    assert _events(guarded) == {}
    guarded.close()


def test_webcal_addresses_are_fetched_over_https(hub: SpaceNode) -> None:
    with hub.node.db.write() as session:
        row = sync.subscribe(session, hub.node, "webcal://calendar.example/space.ics", True)
        assert row.url == "https://calendar.example/space.ics"


def test_the_cli_imports_lists_syncs_and_removes(
    hub: SpaceNode, calendar: CalendarServer, capsys: pytest.CaptureFixture[str]
) -> None:
    calendar.publish(APERITIVO)
    at = ["--data-dir", str(hub.data_dir)]
    assert main([*at, "event", "import-ics", calendar.url, "--follow"]) == 0
    out, _ = capsys.readouterr()
    assert "calendar 1: 1 added, 0 updated, 0 cancelled, 0 unchanged" in out
    assert main([*at, "event", "calendars"]) == 0
    listing = capsys.readouterr()[0]
    assert calendar.url in listing and "yes" in listing
    calendar.publish(APERITIVO.replace("Aperitivo", "Aperitivo lungo"))
    assert main([*at, "event", "calendars", "--sync", "1"]) == 0
    assert "1 updated" in capsys.readouterr()[0]
    assert main([*at, "event", "calendars", "--remove", "1"]) == 0
    assert "events it brought stay" in capsys.readouterr()[0]
    assert "Aperitivo lungo 2026-12-10T18:00" in _events(hub)
    assert main([*at, "event", "import-ics", "not a url"]) == 1
    err = capsys.readouterr()[1]
    assert err.startswith("spazi: error: url:") and err.count("\n") == 1


def test_a_failing_fetch_is_one_line_that_says_what_failed_and_what_next(
    hub: SpaceNode, capsys: pytest.CaptureFixture[str]
) -> None:
    with socket.socket() as closed:  # a port nothing listens on
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    url = f"http://127.0.0.1:{port}/calendar.ics"
    assert main(["--data-dir", str(hub.data_dir), "event", "import-ics", url]) == 1
    err = capsys.readouterr()[1]
    errors = [line for line in err.splitlines() if line.startswith("spazi: error:")]
    assert len(errors) == 1 and err.endswith(errors[0] + "\n"), err
    assert "could not be fetched" in err and "Connection refused" in err and url in err, err
    assert "calendars --sync 1" in err, err
    assert "urllib3" not in err and "Pool" not in err and "Errno" not in err, err


def test_the_job_follows_calendars_and_one_failure_stops_no_other(
    hub: SpaceNode, calendar: CalendarServer, clock: FakeClock
) -> None:
    calendar.publish(APERITIVO)
    broken = _subscribe(hub, calendar.server.url + "/missing.ics")
    good = _subscribe(hub, calendar.url)
    once = _subscribe(hub, calendar.server.url + "/calendar.ics?once", follow=False)
    jobs.follow_calendars_job(hub.node)
    assert "Aperitivo 2026-12-10T18:00" in _events(hub)
    with hub.node.db.read() as session:
        rows = {r.id: r for r in sync.subscriptions(session)}
    assert rows[broken].last_error and "404" in rows[broken].last_error
    assert rows[good].last_checked is not None and rows[once].last_checked is None
    calendar.publish(APERITIVO.replace("Aperitivo", "Aperitivo bis"))
    jobs.follow_calendars_job(hub.node)  # not due yet: within the hour
    assert "Aperitivo bis 2026-12-10T18:00" not in _events(hub)
    clock.advance(jobs.FOLLOW_EVERY.total_seconds() + 1)
    jobs.follow_calendars_job(hub.node)
    assert "Aperitivo bis 2026-12-10T18:00" in _events(hub)


def test_the_admin_page_imports_a_calendar(hub: SpaceNode, calendar: CalendarServer) -> None:
    calendar.publish(APERITIVO, WORKSHOP)
    client = logged_in_admin(hub)
    token = csrf_token(client, "/admin/calendars")
    done = client.post(
        "/admin/calendars", data={"url": calendar.url, "follow": "on", "csrf_token": token}
    )
    assert done.status_code == 302
    page = client.get("/admin/calendars").get_data(as_text=True)
    assert "Calendar imported: 2 added" in page and calendar.url in page
    bad = client.post("/admin/calendars", data={"url": "nope", "csrf_token": token})
    assert bad.status_code == 422 and re.search(r'id="url-error"', bad.get_data(as_text=True))
    with hub.node.db.read() as session:
        assert session.scalar(select(func.count()).select_from(CalendarSubscription)) == 1


def test_a_hostile_calendar_neither_floods_nor_blocks_the_import(
    hub: SpaceNode, calendar: CalendarServer
) -> None:
    flood = vevent("flood@cal", "Flood", "20261201T000000", "20261201T000001",
                   "RRULE:FREQ=SECONDLY")  # fmt: skip
    bad_link = vevent("link@cal", "Bad link", "20261211T100000", "20261211T110000",
                      "URL:https://exa mple/")  # fmt: skip
    calendar.publish(flood, bad_link, WORKSHOP)
    sub = _subscribe(hub, calendar.url)
    report = sync.sync(hub.node, sub)
    found = _events(hub)
    assert "Flood 2026-12-01T00:00" not in found  # sub-hourly rules are left out
    assert "url" not in found["Bad link 2026-12-11T10:00"].body  # the bad link, not the event
    assert len(report.added) == 2


def test_an_event_cancelled_here_stays_cancelled(hub: SpaceNode, calendar: CalendarServer) -> None:
    calendar.publish(WORKSHOP)
    sub = _subscribe(hub, calendar.url)
    sync.sync(hub.node, sub)
    workshop = _events(hub)["Workshop 2026-12-12T10:00"]
    with hub.node.db.write() as session:
        events.cancel_event(session, hub.node, workshop.id, {"reason": "room flooded"})
    calendar.publish(WORKSHOP.replace("Workshop", "Workshop (new room)"))
    sync.sync(hub.node, sub)
    row = next(r for r in _events(hub).values() if r.id == workshop.id)
    assert row.cancelled and row.cancel_reason == "room flooded"


def test_times_keep_four_digit_years() -> None:
    # The protocol takes the years 0002..9998; strftime("%Y") would write "999".
    from datetime import UTC, datetime

    from node.calendar_import.mapping import parse_calendar

    early = vevent("early@cal", "Early", "09991210T180000", "09991210T200000")
    weekly = early.replace("UID:early@cal", "UID:weekly-early@cal").replace(
        "END:VEVENT", "RRULE:FREQ=WEEKLY;COUNT=2\r\nEND:VEVENT"
    )
    parsed = parse_calendar(
        (HEADER + early + weekly + FOOTER).encode(), "Europe/Rome", datetime(999, 12, 1, tzinfo=UTC)
    )
    bodies = sorted((item.key, item.body["start"], item.body["end"]) for item in parsed.items)
    assert bodies[0] == ("early@cal", "0999-12-10T18:00", "0999-12-10T20:00")
    assert [key for key, _, _ in bodies[1:]] == [
        "weekly-early@cal#09991210T171004Z",  # Rome kept local mean time then
        "weekly-early@cal#09991217T171004Z",
    ]
