"""What people read on the pages: amenities by their labels, an address that names its city
once, an event's capacity in words, currencies as people type them, headings in order, and
error pages that say their sentence once, whichever feature's page fails."""

from __future__ import annotations

import re
from html import unescape
from itertools import pairwise

import pytest

from node.formats import parse_currency
from node.services.events import add_event
from node.services.space import update_profile
from node.web.formatting import address_line, amenity_label
from tests.support import SpaceNode

BROWSER = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}


def _main(response) -> str:  # type: ignore[no-untyped-def]
    html = response.get_data(as_text=True)
    found = re.search(r'<main id="main">(.*?)</main>', html, re.S)
    assert found, html[:300]
    return unescape(found.group(1))


@pytest.mark.parametrize(
    ("word", "label"),
    [("wifi", "Wi-Fi"), ("WiFi", "Wi-Fi"), ("bike_parking", "Bike parking"),
     ("meeting-pods", "Meeting pods"), ("sauna", "Sauna")],
)  # fmt: skip
def test_amenity_labels(word: str, label: str) -> None:
    assert amenity_label(word) == label


def test_an_address_names_its_city_once() -> None:
    assert address_line({"address": "Via Roma 1, Prato", "city": "Prato"}) == "Via Roma 1, Prato"
    assert address_line({"address": "Via Roma 1", "city": "Prato"}) == "Via Roma 1, Prato"
    assert address_line({"city": "Prato", "country": "IT"}, country=True) == "Prato, IT"
    assert address_line({}) == ""


@pytest.mark.parametrize(("typed", "code"), [("€", "EUR"), (" Euro ", "EUR"), ("£", "GBP"),
                                             ("eur", "EUR"), ("chf", "CHF")])  # fmt: skip
def test_currencies_as_people_type_them(typed: str, code: str) -> None:
    assert parse_currency(typed) == code


def test_the_pages_show_labels_the_city_once_and_capacity_in_words(space: SpaceNode) -> None:
    with space.node.db.write() as session:
        update_profile(
            session,
            space.node,
            {"address": "Via Roma 1, Prato", "city": "Prato", "amenities": ["wifi", "coffee"]},
        )
        event = add_event(
            session,
            space.node,
            {"title": "Talk", "start": "2026-12-20T18:00", "end": "2026-12-20T19:00",
             "capacity": 60},
        )  # fmt: skip
    home = _main(space.client.get("/"))
    assert "<li>Wi-Fi</li>" in home and "<li>wifi</li>" not in home
    assert "Via Roma 1, Prato" in home and "Prato, Prato" not in home
    page = _main(space.client.get(f"/events/{event['id']}"))
    assert "<dt>Capacity</dt><dd>60 people</dd>" in page and "Places" not in page
    assert "Prato, Prato" not in page


def test_the_currency_field_does_not_cut_what_is_typed(space: SpaceNode) -> None:
    # A maxlength of 3 made the browser turn "euro" into "eur" without a word.
    space.app.config["WTF_CSRF_ENABLED"] = False
    from node.services.admin_auth import create_user

    with space.node.db.write() as session:
        create_user(session, "admin@a.test", "correct horse battery staple")
    space.client.post(
        "/admin/login", data={"email": "admin@a.test", "password": "correct horse battery staple"}
    )
    for path in ("/admin/events/new", "/admin/resources/new"):
        form = space.client.get(path).get_data(as_text=True)
        field = re.search(r'<input id="f-currency"[^>]*>', form)
        assert field is not None and 'maxlength="3"' not in field.group(0), path


def test_event_lists_keep_heading_order(space: SpaceNode) -> None:
    with space.node.db.write() as session:
        add_event(
            session, space.node,
            {"title": "Talk", "start": "2026-12-20T18:00", "end": "2026-12-20T19:00"},
        )  # fmt: skip
    for path in ("/events", "/network/events", "/"):
        levels = [int(n) for n in re.findall(r"<h([1-6])", _main(space.client.get(path)))]
        assert levels[0] == 1, path
        assert all(b - a <= 1 for a, b in pairwise(levels)), (path, levels)


def test_error_pages_say_their_sentence_once_on_every_page_route(space: SpaceNode) -> None:
    unknown = space.client.get("/no/such/page", headers=BROWSER)
    assert unknown.status_code == 404 and unknown.mimetype == "text/html"
    text = _main(unknown)
    assert text.count("There is nothing at this address") == 1
    assert "requested URL was not found" not in text
    # A page route of another feature (the twinning member pages) fails as a page too.
    member = space.client.get("/m/not-a-real-link")
    assert member.status_code == 404 and member.mimetype == "text/html"
    # Routes for programs answer problem+json whoever asks.
    api = space.client.get("/api/v1/events/nope", headers=BROWSER)
    assert api.status_code == 404 and api.mimetype == "application/problem+json"
