"""Public web pages through the Flask test client, on SQLite and PostgreSQL: what they show, the
schema.org JSON-LD they embed, HTML escaping, filters and error pages."""

from __future__ import annotations

import json
import re
from datetime import date
from html.parser import HTMLParser
from typing import Any

import pytest

from node.web.formatting import (
    day_list,
    format_money,
    hours_label,
    special_hours,
    weekly_hours,
)
from tests.support import SpaceNode

PROFILE = {
    "description": "Desks, rooms and good coffee.",
    "address": "1 Old Street",
    "city": "London",
    "country": "GB",
    "latitude_e6": 51_525_700,
    "longitude_e6": -87_300,
    "opening_hours": [
        {
            "days": ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday"],
            "opens": "08:00",
            "closes": "18:00",
        },
        # Friday night: closes after midnight (schema.org: closes < opens means the next day).
        {"days": ["Friday"], "opens": "20:00", "closes": "02:00"},
        {
            "days": ["PublicHolidays"],
            "opens": "00:00",
            "closes": "00:00",
            "valid_from": "2026-12-25",
            "valid_through": "2026-12-26",
        },
    ],
    "amenities": ["Wi-Fi", "Phone booths"],
    "contact": {"email": "hello@thecube.example", "phone": "+44 20 7946 0000"},
    "links": [{"title": "Newsletter", "url": "https://news.thecube.example"}],
}
DESK = {
    "kind": "hot_desk",
    "name": "Hot desk",
    "capacity": 12,
    "price_hour_minor": 450,
    "price_day_minor": 2500,
    "currency": "GBP",
}
BREAKFAST = {
    "title": "Community breakfast",
    "description": "Bring a friend.",
    "start": "2026-12-01T09:00",
    "end": "2026-12-01T10:30",
    "tags": ["food", "Community"],
    "price_minor": 500,
    "currency": "GBP",
}
SUMMER_TALK = {
    "title": "Summer talk",
    "start": "2027-06-15T18:00",
    "end": "2027-06-15T20:00",
    "tags": ["tech"],
}
HOSTILE = '</script><script>alert("x")</script> & <b>bold</b>'


class _Scripts(HTMLParser):
    """Collects what a browser would: every <script> block's type and text, every start tag."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.scripts: list[tuple[str | None, str]] = []
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self._in_script: str | bool | None = False
        self._buffer: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        if tag == "script":
            self._in_script = dict(attrs).get("type")
            self._buffer = []

    def handle_data(self, data: str) -> None:
        if self._in_script is not False:
            self._buffer.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "script" and self._in_script is not False:
            self.scripts.append((self._in_script, "".join(self._buffer)))
            self._in_script = False


def parse_page(html: str) -> _Scripts:
    parser = _Scripts()
    parser.feed(html)
    parser.close()
    return parser


def jsonld(html: str) -> Any:
    """The one JSON-LD document of a page, parsed as a browser would cut it out."""
    scripts = parse_page(html).scripts
    assert [t for t, _ in scripts] == ["application/ld+json"], scripts
    return json.loads(scripts[0][1])


def nodes_of(doc: Any, kind: str) -> list[dict[str, Any]]:
    items = doc.get("@graph", [doc])
    return [item for item in items if item.get("@type") == kind]


def _patch_profile(space: SpaceNode, changes: dict[str, Any]) -> None:
    response = space.client.patch("/api/v1/space", json=changes, headers=space.auth())
    assert response.status_code == 200, response.get_json()


def _add_event(space: SpaceNode, event: dict[str, Any]) -> str:
    response = space.client.post("/api/v1/events", json=event, headers=space.auth())
    assert response.status_code == 201, response.get_json()
    return str(response.get_json()["id"])


@pytest.fixture
def listed(space: SpaceNode) -> SpaceNode:
    """TheCube with a full profile, a desk and two events."""
    _patch_profile(space, PROFILE)
    assert (
        space.client.post("/api/v1/resources", json=DESK, headers=space.auth()).status_code == 201
    )
    _add_event(space, {**BREAKFAST, "id": "breakfast"})
    _add_event(space, {**SUMMER_TALK, "id": "summer-talk"})
    return space


# -- home ---------------------------------------------------------------------------------------


def test_home_shows_profile_hours_resources_and_events(listed: SpaceNode) -> None:
    response = listed.client.get("/")
    assert response.status_code == 200
    assert response.mimetype == "text/html"
    html = response.get_data(as_text=True)
    for text in (
        "TheCube",
        "1 Old Street, London, GB",
        "Desks, rooms and good coffee.",
        "Phone booths",
        "hello@thecube.example",
        "Newsletter",
        "4.50 GBP per hour",
        "25.00 GBP per day",
        "up to 12 people",
        "Community breakfast",
        "Tue 1 Dec 2026, 09:00–10:30",
        "Summer talk",
    ):
        assert text in html, text
    # Friday's evening opening closes after midnight and says so.
    rows = {
        day: re.sub(r"<[^>]+>", "", hours)
        for day, hours in re.findall(r'<th scope="row">(\w+)</th><td>(.*?)</td>', html)
    }
    assert rows["Fri"] == "08:00–18:00, 20:00–02:00 (next day)"
    assert rows["Mon"] == "08:00–18:00"
    assert rows["Sat"] == rows["Sun"] == "closed"
    assert "Public holidays, Fri 25 Dec 2026 – Sat 26 Dec 2026: closed" in html


def test_home_embeds_a_place_with_address_geo_and_opening_hours(listed: SpaceNode) -> None:
    doc = jsonld(listed.client.get("/").get_data(as_text=True))
    assert doc["@context"] == "https://schema.org"
    (place,) = nodes_of(doc, "Place")
    assert place["name"] == "TheCube"
    assert place["url"] == "http://a.test/"
    assert place["address"] == {
        "@type": "PostalAddress",
        "streetAddress": "1 Old Street",
        "addressLocality": "London",
        "addressCountry": "GB",
    }
    assert place["geo"] == {"@type": "GeoCoordinates", "latitude": 51.5257, "longitude": -0.0873}
    specs = place["openingHoursSpecification"]
    assert {
        "@type": "OpeningHoursSpecification",
        "dayOfWeek": ["https://schema.org/Friday"],
        "opens": "20:00",
        "closes": "02:00",
    } in specs
    holiday = next(s for s in specs if "validFrom" in s)
    assert holiday["validFrom"] == "2026-12-25"
    assert holiday["validThrough"] == "2026-12-26"
    assert holiday["dayOfWeek"] == ["https://schema.org/PublicHolidays"]
    assert [a["name"] for a in place["amenityFeature"]] == ["Wi-Fi", "Phone booths"]
    assert [e["name"] for e in nodes_of(doc, "Event")] == ["Community breakfast", "Summer talk"]


def test_home_of_a_bare_space_renders(space: SpaceNode) -> None:
    html = space.client.get("/").get_data(as_text=True)
    assert "No desks or rooms listed yet." in html
    assert "No upcoming events." in html
    assert "Opening hours" not in html
    (place,) = nodes_of(jsonld(html), "Place")
    assert "geo" not in place and "address" not in place


def test_pages_are_self_contained_and_fit_a_phone(listed: SpaceNode) -> None:
    for path in ("/", "/events", "/events/breakfast", "/admin/login"):
        response = listed.client.get(path)
        page = parse_page(response.get_data(as_text=True))
        metas = [a for t, a in page.tags if t == "meta" and a.get("name") == "viewport"]
        assert metas and "width=device-width" in str(metas[0]["content"])
        # Nothing is loaded from another site and no script runs: JSON-LD is the only <script>.
        for tag, attrs in page.tags:
            for name in ("src", "href"):
                value = attrs.get(name) or ""
                if tag in ("link", "script", "img") and name in attrs:
                    assert value.startswith(("/", "http://a.test/")), (path, tag, value)
        assert all(kind == "application/ld+json" for kind, _ in page.scripts)
        policy = response.headers["Content-Security-Policy"]
        assert "default-src 'none'" in policy and "style-src 'self'" in policy
    css = listed.client.get("/static/spazi.css")
    assert css.status_code == 200 and css.mimetype == "text/css"
    assert b"@import" not in css.data and b"url(" not in css.data


# -- events -------------------------------------------------------------------------------------


def test_event_page_embeds_an_event_with_offsets_location_and_status(listed: SpaceNode) -> None:
    response = listed.client.get("/events/summer-talk")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Tue 15 Jun 2027, 18:00–20:00" in html
    doc = jsonld(html)
    assert doc["@type"] == "Event"
    assert doc["name"] == "Summer talk"
    # London in June is an hour ahead of UTC; the offset is part of the date.
    assert doc["startDate"] == "2027-06-15T18:00:00+01:00"
    assert doc["endDate"] == "2027-06-15T20:00:00+01:00"
    assert doc["eventStatus"] == "https://schema.org/EventScheduled"
    assert doc["url"] == "http://a.test/events/summer-talk"
    assert doc["location"]["@type"] == "Place"
    assert doc["location"]["address"]["streetAddress"] == "1 Old Street"

    breakfast = jsonld(listed.client.get("/events/breakfast").get_data(as_text=True))
    assert breakfast["startDate"] == "2026-12-01T09:00:00+00:00"
    assert breakfast["offers"] == {
        "@type": "Offer",
        "price": "5.00",
        "priceCurrency": "GBP",
        "url": "http://a.test/events/breakfast",
    }


def test_event_in_another_time_zone_keeps_its_own_offset(space: SpaceNode) -> None:
    _add_event(
        space,
        {
            "id": "rome",
            "title": "Aperitivo",
            "start": "2026-12-04T18:30",
            "end": "2026-12-04T20:00",
            "timezone": "Europe/Rome",
        },
    )
    html = space.client.get("/events/rome").get_data(as_text=True)
    assert "Fri 4 Dec 2026, 18:30–20:00" in html and "Europe/Rome" in html
    assert jsonld(html)["startDate"] == "2026-12-04T18:30:00+01:00"


def test_cancelled_event_is_marked_on_every_page(listed: SpaceNode) -> None:
    response = listed.client.post(
        "/api/v1/events/breakfast/cancel", json={"reason": "Kitchen flooded"}, headers=listed.auth()
    )
    assert response.status_code == 204
    page = listed.client.get("/events/breakfast").get_data(as_text=True)
    assert "This event is cancelled." in page and "Kitchen flooded" in page
    assert jsonld(page)["eventStatus"] == "https://schema.org/EventCancelled"
    listing = listed.client.get("/events").get_data(as_text=True)
    assert '<li class="event cancelled">' in listing
    assert "Cancelled</strong>" in listing
    statuses = {e["name"]: e["eventStatus"] for e in nodes_of(jsonld(listing), "Event")}
    assert statuses == {
        "Community breakfast": "https://schema.org/EventCancelled",
        "Summer talk": "https://schema.org/EventScheduled",
    }


def test_events_list_filters_by_tag_and_days(listed: SpaceNode) -> None:
    def titles(query: str) -> list[str]:
        response = listed.client.get(f"/events{query}")
        assert response.status_code == 200
        return [e["name"] for e in nodes_of(jsonld(response.get_data(as_text=True)), "Event")]

    assert titles("") == ["Community breakfast", "Summer talk"]
    assert titles("?tag=community") == ["Community breakfast"]  # tags match case-insensitively
    assert titles("?tag=tech") == ["Summer talk"]
    assert titles("?tag=nothing") == []
    assert titles("?from=2027-01-01") == ["Summer talk"]
    assert titles("?to=2026-12-01") == ["Community breakfast"]
    assert titles("?from=2026-12-02&to=2027-06-14") == []
    html = listed.client.get("/events?tag=nothing").get_data(as_text=True)
    assert "No events match these filters." in html


def test_events_list_leaves_out_events_that_ended(listed: SpaceNode, clock: Any) -> None:
    clock.advance(30 * 86400)  # to 18 December 2026: breakfast is over
    html = listed.client.get("/events").get_data(as_text=True)
    assert "Community breakfast" not in html and "Summer talk" in html
    # The page of a past event is still there, saying it ended.
    assert "This event has ended." in listed.client.get("/events/breakfast").get_data(as_text=True)


def test_bad_filter_is_a_400_page_naming_the_field(listed: SpaceNode) -> None:
    response = listed.client.get("/events?from=2026-13-45")
    assert response.status_code == 400
    assert response.mimetype == "text/html"
    assert "from: use a date like 2026-12-01" in response.get_data(as_text=True)


def test_hostile_title_cannot_break_out_of_json_ld_or_markup(space: SpaceNode) -> None:
    _patch_profile(space, {"description": HOSTILE})
    _add_event(
        space,
        {
            "id": "hostile",
            "title": HOSTILE,
            "description": HOSTILE,
            "start": "2026-12-02T18:00",
            "end": "2026-12-02T19:00",
            "tags": ["<i>"],
        },
    )
    for path in ("/", "/events", "/events/hostile"):
        html = space.client.get(path).get_data(as_text=True)
        page = parse_page(html)
        # One script block (the JSON-LD), cut where a browser cuts it, still parsing as JSON
        # with the title intact: the </script> inside did not end it.
        doc = jsonld(html)
        names = [e["name"] for e in nodes_of(doc, "Event")]
        assert names == [HOSTILE], path
        assert '<script>alert("x")' not in html
        assert all(tag not in ("b", "i") for tag, _ in page.tags), path
        assert "&lt;/script&gt;&lt;script&gt;" in html


def test_unknown_event_is_an_html_404(space: SpaceNode) -> None:
    response = space.client.get("/events/no-such-event")
    assert response.status_code == 404
    assert response.mimetype == "text/html"
    html = response.get_data(as_text=True)
    assert "no event &#39;no-such-event&#39;" in html
    assert '<meta name="robots" content="noindex">' in html


def test_an_unknown_address_among_the_pages_is_an_html_404(space: SpaceNode) -> None:
    # A section of pages (/admin/, /events/) answers an address it lacks as a page does,
    # whatever the client accepts; the API's own unknown addresses stay problem+json.
    for path in ("/admin/nope", "/events/nope/nothing"):
        response = space.client.get(path, headers={"Accept": "*/*"})
        assert response.status_code == 404, path
        assert response.mimetype == "text/html", path
        assert "There is nothing at this address." in response.get_data(as_text=True)
    api = space.client.get("/api/v1/nope", headers={"Accept": "text/html"})
    assert api.status_code == 404 and api.mimetype == "application/problem+json"


def test_errors_stay_problem_json_for_machines(space: SpaceNode) -> None:
    api = space.client.get("/api/v1/events/no-such-event", headers={"Accept": "text/html"})
    assert api.status_code == 404
    assert api.mimetype == "application/problem+json"
    assert api.get_json()["type"] == "urn:spazi:problem:unknown-event"
    unknown = space.client.get("/no/such/page", headers={"Accept": "*/*"})
    assert unknown.mimetype == "application/problem+json"
    assert unknown.get_json()["type"] == "urn:spazi:problem:not-found"
    browser = space.client.get(
        "/no/such/page", headers={"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}
    )
    assert browser.status_code == 404
    assert browser.mimetype == "text/html"
    assert "There is nothing at this address." in browser.get_data(as_text=True)


# -- formatting (pure) --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("opens", "closes", "label"),
    [
        ("08:00", "18:00", "08:00–18:00"),
        ("18:00", "02:00", "18:00–02:00 (next day)"),
        ("22:00", "22:00", "22:00–22:00 (next day)"),  # equal times: a full 24 hours
        ("00:00", "00:00", "closed"),
        ("00:00", "23:59", "open 24 hours"),
        ("00:00", "24:00", "open 24 hours"),
        ("09:00", "24:00", "09:00–24:00"),
    ],
)
def test_hours_follow_schema_org_semantics(opens: str, closes: str, label: str) -> None:
    assert hours_label({"days": ["Friday"], "opens": opens, "closes": closes}) == label


def test_weekly_and_special_hours() -> None:
    today = date(2026, 11, 18)
    specs = [
        {"days": ["Monday", "Tuesday"], "opens": "09:00", "closes": "17:00"},
        {"days": ["Saturday"], "opens": "22:00", "closes": "03:00"},
        {"days": ["Monday"], "opens": "00:00", "closes": "00:00", "valid_from": "2026-12-28"},
        {
            "days": ["Sunday"],
            "opens": "10:00",
            "closes": "12:00",
            "valid_from": "2026-01-01",
            "valid_through": "2026-02-01",  # over: not shown
        },
    ]
    rows = {row.label: row.hours for row in weekly_hours(specs, today)}
    assert rows["Mon"] == ["09:00–17:00"]
    assert rows["Sat"] == ["22:00–03:00 (next day)"]
    assert rows["Sun"] == ["closed"]
    assert "Public holidays" not in rows
    special = [(row.label, row.hours) for row in special_hours(specs, today)]
    assert special == [("Mon, From Mon 28 Dec 2026", ["closed"])]
    assert weekly_hours(specs[2:], today) == []


def test_day_lists_collapse_runs() -> None:
    week = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday"]
    assert day_list(week) == "Mon–Fri"
    assert day_list(["Sunday", "Monday", "Tuesday"]) == "Mon, Tue, Sun"
    assert day_list([*week, "Sunday", "PublicHolidays"]) == "Mon–Fri, Sun, Public holidays"


@pytest.mark.parametrize(
    ("minor", "currency", "text"),
    [
        (2500, "GBP", "25.00 GBP"),
        (123456, "EUR", "1,234.56 EUR"),
        (1500, "JPY", "1,500 JPY"),
        (1500, "BHD", "1.500 BHD"),
        (0, "EUR", "free"),
        (750, None, "7.50"),
    ],
)
def test_money_uses_the_currency_minor_unit(minor: int, currency: str | None, text: str) -> None:
    assert format_money(minor, currency) == text
