"""Property: the *text* rule (protocol.md §Entry types) holds at every surface alike.

Any string the protocol admits for a one-line member (an event's title) or a multi-line one (its
description) goes in through the API and comes back unchanged from the database (SQLite and
PostgreSQL), the event's HTML page, its calendar file (read with icalendar) and the Atom feed
(read with feedparser). Any string it refuses is refused by entry verification, the API (422,
nothing stored) and the CLI (one line, non-zero exit).
"""

from __future__ import annotations

import contextlib
import itertools
from html.parser import HTMLParser
from typing import Any
from xml.etree import ElementTree

import feedparser
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from icalendar import Calendar

from federation.errors import BodyError
from federation.schema import MULTI_LINE_FORBIDDEN, ONE_LINE_FORBIDDEN
from federation.version import validate_body
from node.cli import main
from tests.support import SpaceNode

EVENT = {"start": "2026-12-03T18:00", "end": "2026-12-03T20:00"}
_ids = itertools.count()
ATOM = "{http://www.w3.org/2005/Atom}"


def _admitted(forbidden: frozenset[str], max_size: int) -> st.SearchStrategy[str]:
    # Any code point but the forbidden ones and lone surrogates (not even JSON can carry those).
    chars = st.characters(exclude_categories=["Cs"], exclude_characters="".join(forbidden))
    return st.text(chars, min_size=1, max_size=max_size)


# A title: one-line text that is not only white space (the pages and feeds show it as a
# heading, and every surface would agree on an empty one anyway).
TITLES = _admitted(ONE_LINE_FORBIDDEN, 60).filter(lambda s: s.strip() != "")
DESCRIPTIONS = _admitted(MULTI_LINE_FORBIDDEN, 200)


def _spoiled(admitted: st.SearchStrategy[str], bad: frozenset[str]) -> st.SearchStrategy[str]:
    """An admitted string with one refused character put in at some place."""
    return st.tuples(admitted, st.sampled_from(sorted(bad)), st.integers(0, 60)).map(
        lambda t: t[0][: t[2]] + t[1] + t[0][t[2] :]
    )


HYPOTHESIS = settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


class _EventPage(HTMLParser):
    """The text of the page's ``<h1>`` and of each ``<p>`` in its description."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.h1: list[str] = []
        self.paragraphs: list[str] = []
        self._in: str | None = None
        self._description = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "div" and ("class", "description") in attrs:
            self._description = True
        elif tag == "h1" and not self.h1:
            self._in, self.h1 = "h1", [""]
        elif tag == "p" and self._description:
            self._in = "p"
            self.paragraphs.append("")

    def handle_endtag(self, tag: str) -> None:
        if tag == "div":
            self._description = False
        if tag in ("h1", "p"):
            self._in = None

    def handle_data(self, data: str) -> None:
        if self._in == "h1":
            self.h1[-1] += data
        elif self._in == "p":
            self.paragraphs[-1] += data


def _as_feedparser_reads(text: str) -> str:
    """``text`` as feedparser gives it back: stripped, and "repaired" when its characters are
    all Latin-1 and their bytes happen to be UTF-8 (feedparser takes that for mojibake)."""
    with contextlib.suppress(UnicodeError):
        text = text.encode("latin-1").decode("utf-8")
    return text.strip()


def _event_id(space: SpaceNode, title: str, description: str) -> str:
    event_id = f"ev-{next(_ids)}"
    body = {**EVENT, "id": event_id, "title": title, "description": description}
    response = space.client.post("/api/v1/events", json=body, headers=space.auth())
    assert response.status_code == 201, response.get_json()
    return event_id


@given(title=TITLES, description=DESCRIPTIONS)
@HYPOTHESIS
def test_admitted_text_round_trips_through_every_output(
    space: SpaceNode, title: str, description: str
) -> None:
    event_id = _event_id(space, title, description)

    # The database (through the API): exactly what was sent.
    stored = space.client.get(f"/api/v1/events/{event_id}").get_json()
    assert (stored["title"], stored["description"]) == (title, description)

    # The HTML page: the heading is the title; the description's paragraphs are its blocks
    # (split at blank lines, each stripped: node.web.rendering.paragraphs).
    page = _EventPage()
    page.feed(space.client.get(f"/events/{event_id}").get_data(as_text=True))
    assert page.h1 == [title]
    blocks = [b.strip() for b in description.split("\n\n") if b.strip()]
    assert page.paragraphs == blocks

    # The calendar file: SUMMARY is the title, DESCRIPTION starts with the description.
    response = space.client.get(f"/events/{event_id}/calendar.ics")
    assert response.status_code == 200
    (item,) = Calendar.from_ical(response.data).walk("VEVENT")
    assert str(item["SUMMARY"]) == title
    assert str(item["DESCRIPTION"]).startswith(description + "\n\n")

    # The Atom feed: this event's entry has the title, and the description ends its summary.
    # The XML holds them exactly; feedparser, as feed readers do, strips the white space around
    # each text, and reads the document without complaint.
    atom = space.client.get("/feed.atom").data
    (xml_entry,) = [
        e
        for e in ElementTree.fromstring(atom).iter(f"{ATOM}entry")
        if e.findtext(f"{ATOM}id", "").endswith(f":event:{event_id}")
    ]
    assert xml_entry.findtext(f"{ATOM}title") == title
    assert xml_entry.findtext(f"{ATOM}summary", "").endswith("\n\n" + description)
    feed = feedparser.parse(atom)
    assert not feed.bozo, feed.get("bozo_exception")
    (entry,) = [e for e in feed.entries if e.link.endswith(f"/events/{event_id}")]
    assert entry.title == _as_feedparser_reads(title)
    # The summary starts with the date ("…18:00–20:00"), which is not Latin-1: no repair.
    assert entry.summary.endswith(description.rstrip())


def _refused_everywhere(space: SpaceNode, capsys: Any, member: str, value: str) -> None:
    body = {**EVENT, "id": "refused", "title": "Talk", "timezone": "UTC", member: value}
    with pytest.raises(BodyError):
        validate_body("event.put", body)
    before = space.counts()
    response = space.client.post("/api/v1/events", json=body, headers=space.auth())
    assert response.status_code == 422, response.data
    assert member in str(response.get_json())
    # --name=value: a value starting with "-" is a value, not an option, for argparse.
    code = main(
        [
            "--data-dir",
            str(space.data_dir),
            "event",
            "add",
            "--title",
            "Talk",
            "--start",
            EVENT["start"],
            "--end",
            EVENT["end"],
            f"--{member}={value}",
        ]
    )
    _, err = capsys.readouterr()
    assert code != 0 and err.count("\n") == 1 and "Traceback" not in err
    assert space.counts() == before


@given(title=_spoiled(TITLES, ONE_LINE_FORBIDDEN))
@HYPOTHESIS
def test_refused_one_line_text_is_refused_at_every_input(
    space: SpaceNode, capsys: Any, title: str
) -> None:
    _refused_everywhere(space, capsys, "title", title)


@given(description=_spoiled(DESCRIPTIONS, MULTI_LINE_FORBIDDEN))
@HYPOTHESIS
def test_refused_multi_line_text_is_refused_at_every_input(
    space: SpaceNode, capsys: Any, description: str
) -> None:
    _refused_everywhere(space, capsys, "description", description)
