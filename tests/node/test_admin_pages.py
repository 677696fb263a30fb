"""Admin pages through the Flask test client, on SQLite and PostgreSQL: login, CSRF, the edit
flows publishing signed entries, and refused input changing nothing."""

from __future__ import annotations

import logging
import re
from html import unescape
from typing import Any

import pytest
from flask.testing import FlaskClient

from federation.canonical import parse_strict
from federation.feeds import Head, verify_page
from federation.keyring import Keyring
from node.services.admin_auth import create_user
from tests.support import SpaceNode

EMAIL = "desk@thecube.example"
PASSWORD = "correct horse battery staple"
SESSION_USER = "admin_user_id"

PROFILE_FORM = {
    "name": "TheCube London",
    "description": "Desks and rooms.",
    "address": "1 Old Street",
    "city": "London",
    "country": "gb",
    "timezone": "Europe/London",
    "latitude": "51.5257",
    "longitude": "-0.0873",
    "opening_hours": (
        "Mon-Fri 08:00-18:00\nFri 20:00-02:00\nPH closed from 2026-12-25 until 2026-12-26"
    ),
    "amenities": "Wi-Fi\nPhone booths",
    "contact_email": "hello@thecube.example",
    "contact_phone": "+44 20 7946 0000",
    "contact_url": "",
    "links": "Newsletter | https://news.thecube.example",
}
DESK_FORM = {
    "kind": "meeting_room",
    "name": "Board room",
    "description": "",
    "capacity": "8",
    "price_hour": "30",
    "price_day": "",
    "currency": "gbp",
}
EVENT_FORM = {
    "title": "Open studio",
    "description": "Come and see.",
    "start": "2026-12-05T14:00",
    "end": "2026-12-05T18:00",
    "timezone": "Europe/London",
    "capacity": "",
    "tags": "art, open-day",
    "price": "",
    "currency": "",
    "cohosts": "",
    "url": "",
}


@pytest.fixture
def admin(space: SpaceNode) -> SpaceNode:
    """The space with one admin user (created the way `spazi admin create-user` does)."""
    with space.node.db.write() as session:
        create_user(session, EMAIL, PASSWORD)
    space.app.config["WTF_CSRF_ENABLED"] = True
    return space


def csrf_token(client: FlaskClient, path: str) -> str:
    """The CSRF token of the form on ``path``, as a browser would submit it."""
    response = client.get(path)
    assert response.status_code == 200, path
    match = re.search(r'name="csrf_token" value="([^"]+)"', response.get_data(as_text=True))
    assert match, path
    return match.group(1)


def login(space: SpaceNode, email: str = EMAIL, password: str = PASSWORD) -> Any:
    token = csrf_token(space.client, "/admin/login")
    return space.client.post(
        "/admin/login", data={"email": email, "password": password, "csrf_token": token}
    )


def logged_in_admin(space: SpaceNode) -> FlaskClient:
    """``space`` with an admin user logged in on its test client, CSRF checks on."""
    with space.node.db.write() as session:
        create_user(session, EMAIL, PASSWORD)
    space.app.config["WTF_CSRF_ENABLED"] = True
    assert login(space).status_code == 302
    return space.client


def post_form(space: SpaceNode, path: str, data: dict[str, str]) -> Any:
    """Submit the form on ``path`` with its CSRF token."""
    return space.client.post(path, data={**data, "csrf_token": csrf_token(space.client, path)})


def field_errors(response: Any) -> dict[str, str]:
    html = response.get_data(as_text=True)
    found = re.findall(r'<p class="field-error" id="([\w-]+)-error">([^<]*)</p>', html)
    return {name: unescape(text) for name, text in found}


def feed_types(space: SpaceNode) -> list[str]:
    """Types of every entry in our feed, after verifying the whole feed's signatures."""
    page = parse_strict(space.client.get(f"/federation/v1/feeds/{space.id}?limit=1000").data)
    entries = verify_page(
        space.id, Head(), page["entries"], Keyring(), space.node.now_ms(), checked=True
    )
    return [e.type for e in entries]


# -- login --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path", ["/admin", "/admin/profile", "/admin/resources/new", "/admin/events/new"]
)
def test_admin_pages_redirect_to_login(admin: SpaceNode, path: str) -> None:
    response = admin.client.get(path)
    assert response.status_code == 302
    assert response.headers["Location"] == f"/admin/login?next={path}"


def test_post_without_login_changes_nothing(admin: SpaceNode) -> None:
    before = admin.counts()
    token = csrf_token(admin.client, "/admin/login")  # a valid token, but no login
    response = admin.client.post("/admin/resources/new", data={**DESK_FORM, "csrf_token": token})
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/admin/login")
    assert admin.counts() == before


def test_login_then_logout(admin: SpaceNode) -> None:
    response = login(admin)
    assert response.status_code == 302
    assert response.headers["Location"] == "/admin"
    dashboard = admin.client.get("/admin")
    assert dashboard.status_code == 200
    assert dashboard.headers["Cache-Control"] == "no-store"
    html = dashboard.get_data(as_text=True)
    assert admin.id in html and "Log out" in html

    token = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert token
    out = admin.client.post("/admin/logout", data={"csrf_token": token.group(1)})
    assert out.status_code == 302
    with admin.client.session_transaction() as session:
        assert SESSION_USER not in session
    assert admin.client.get("/admin").status_code == 302


@pytest.mark.parametrize(
    ("email", "password"),
    [(EMAIL, "wrong password!!"), ("nobody@thecube.example", PASSWORD), (EMAIL, "")],
)
def test_bad_login_is_refused_alike_and_opens_no_session(
    admin: SpaceNode, email: str, password: str
) -> None:
    response = login(admin, email, password)
    assert response.status_code == 403
    # One message whether the email exists or not: nothing to enumerate.
    assert "wrong email or password" in response.get_data(as_text=True)
    with admin.client.session_transaction() as session:
        assert SESSION_USER not in session
    assert admin.client.get("/admin").status_code == 302


def test_passwords_never_reach_the_log(admin: SpaceNode, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    login(admin, EMAIL, "a wrong guess 123")
    login(admin)
    messages = " ".join(r.getMessage() for r in caplog.records)
    assert "admin login refused" in messages and "logged in" in messages
    assert PASSWORD not in messages and "a wrong guess 123" not in messages


def test_login_next_stays_inside_the_admin_pages(admin: SpaceNode) -> None:
    token = csrf_token(admin.client, "/admin/login")
    for target, expected in [
        ("/admin/profile", "/admin/profile"),
        ("https://evil.example/admin", "/admin"),
        ("//evil.example/admin", "/admin"),
        ("/admin//evil.example", "/admin"),
    ]:
        response = admin.client.post(
            "/admin/login",
            data={"email": EMAIL, "password": PASSWORD, "csrf_token": token, "next": target},
        )
        assert response.headers["Location"] == expected, target
        token = csrf_token(admin.client, "/admin/login")


# -- CSRF ---------------------------------------------------------------------------------------


def test_post_without_csrf_token_is_refused(admin: SpaceNode) -> None:
    admin.app.config["WTF_CSRF_ENABLED"] = True
    login(admin)
    assert admin.client.get("/admin").status_code == 200  # the session now holds a CSRF secret
    before = admin.counts()
    missing = admin.client.post("/admin/resources/new", data=DESK_FORM)
    assert missing.status_code == 400
    assert missing.mimetype == "text/html"
    assert "The CSRF token is missing." in missing.get_data(as_text=True)
    wrong = admin.client.post("/admin/resources/new", data={**DESK_FORM, "csrf_token": "x.y.z"})
    assert wrong.status_code == 400
    assert "The CSRF token is invalid." in wrong.get_data(as_text=True)
    # A login form posted from elsewhere is refused too.
    admin.client.post("/admin/logout", data={"csrf_token": csrf_token(admin.client, "/admin")})
    forged = admin.client.post("/admin/login", data={"email": EMAIL, "password": PASSWORD})
    assert forged.status_code == 400
    # The logout above ended the session row, on purpose; nothing else changed.
    assert admin.counts() == {**before, "admin_sessions": before["admin_sessions"] - 1}


def test_api_and_federation_are_not_subject_to_csrf(admin: SpaceNode) -> None:
    admin.app.config["WTF_CSRF_ENABLED"] = True
    created = admin.client.post(
        "/api/v1/resources",
        json={"kind": "hot_desk", "name": "Desk", "capacity": 2},
        headers=admin.auth(),
    )
    assert created.status_code == 201, created.get_json()
    inbox = admin.client.post("/federation/v1/inbox", json={"type": "heads.changed"})
    assert inbox.mimetype == "application/problem+json"
    assert "CSRF" not in inbox.get_json()["detail"]


# -- editing ------------------------------------------------------------------------------------


def test_full_edit_flow_publishes_signed_entries(admin: SpaceNode) -> None:
    login(admin)

    def saved(response: Any) -> None:
        assert response.status_code == 302, (field_errors(response), response.data[-2000:])
        assert response.headers["Location"] == "/admin"

    head = admin.counts()["head"]

    def head_moved() -> None:
        nonlocal head
        now = admin.counts()["head"]
        assert now[0] == head[0] + 1 and now[1] != head[1]
        head = now

    saved(post_form(admin, "/admin/profile", PROFILE_FORM))
    head_moved()
    profile = admin.client.get("/api/v1/space").get_json()
    assert profile["name"] == "TheCube London"
    assert profile["country"] == "GB"
    assert (profile["latitude_e6"], profile["longitude_e6"]) == (51_525_700, -87_300)
    assert profile["opening_hours"][1] == {"days": ["Friday"], "opens": "20:00", "closes": "02:00"}
    assert profile["opening_hours"][2]["opens"] == profile["opening_hours"][2]["closes"] == "00:00"
    assert profile["contact"] == {"email": "hello@thecube.example", "phone": "+44 20 7946 0000"}
    # The form shows the saved hours back the way they were typed.
    form = admin.client.get("/admin/profile").get_data(as_text=True)
    assert "Fri 20:00-02:00\nPublicHolidays closed from 2026-12-25 until 2026-12-26" in form

    saved(post_form(admin, "/admin/resources/new", DESK_FORM))
    head_moved()
    (room,) = admin.client.get("/api/v1/resources").get_json()["resources"]
    assert room["price_hour_minor"] == 3000 and room["currency"] == "GBP"
    assert "price_day_minor" not in room and "description" not in room
    assert "30.00 GBP per hour" in admin.client.get("/").get_data(as_text=True)

    saved(
        post_form(
            admin,
            f"/admin/resources/{room['id']}/edit",
            {**DESK_FORM, "capacity": "10", "price_day": "180.50"},
        )
    )
    head_moved()
    room = admin.client.get(f"/api/v1/resources/{room['id']}").get_json()
    assert (room["capacity"], room["price_day_minor"]) == (10, 18050)

    saved(post_form(admin, "/admin/events/new", EVENT_FORM))
    head_moved()
    (event,) = admin.client.get("/api/v1/events").get_json()["events"]
    assert event["tags"] == ["art", "open-day"] and "capacity" not in event

    saved(post_form(admin, f"/admin/events/{event['id']}/edit", {**EVENT_FORM, "capacity": "40"}))
    head_moved()
    saved(post_form(admin, f"/admin/events/{event['id']}/cancel", {"reason": "Snow"}))
    head_moved()
    event = admin.client.get(f"/api/v1/events/{event['id']}").get_json()
    assert event["cancelled"] is True and event["capacity"] == 40
    assert event["cancel_reason"] == "Snow"

    saved(post_form(admin, f"/admin/resources/{room['id']}/remove", {}))
    head_moved()
    assert admin.client.get("/api/v1/resources").get_json()["resources"] == []

    assert feed_types(admin) == [
        "space.profile",
        "space.profile",
        "resource.put",
        "resource.put",
        "event.put",
        "event.put",
        "event.cancel",
        "resource.remove",
    ]
    dashboard = admin.client.get("/admin").get_data(as_text=True)
    assert "Event added and published." not in dashboard  # flashes are shown once
    assert f"entry {head[0]}" in dashboard


def test_clearing_an_optional_profile_field_removes_it(admin: SpaceNode) -> None:
    login(admin)
    post_form(admin, "/admin/profile", PROFILE_FORM)
    cleared = {**PROFILE_FORM, "latitude": "", "longitude": "", "amenities": "", "links": ""}
    assert post_form(admin, "/admin/profile", cleared).status_code == 302
    profile = admin.client.get("/api/v1/space").get_json()
    for name in ("latitude_e6", "longitude_e6", "amenities", "links"):
        assert name not in profile


@pytest.mark.parametrize(
    ("path", "form", "field", "message"),
    [
        ("/admin/profile", {**PROFILE_FORM, "contact_email": "not-an-email"}, "contact_email",
         "Not a valid email address."),
        ("/admin/profile", {**PROFILE_FORM, "timezone": "Mars/Olympus"}, "timezone",
         "not a canonical IANA time zone"),
        ("/admin/profile", {**PROFILE_FORM, "name": ""}, "name", "Length must be between 1"),
        ("/admin/profile", {**PROFILE_FORM, "opening_hours": "Mon 25:00-26:00"},
         "opening_hours", "rule 1: 25:00 is not a time of day"),
        ("/admin/profile", {**PROFILE_FORM, "opening_hours": "Someday 08:00-09:00"},
         "opening_hours", "rule 1: unknown day 'Someday'"),
        ("/admin/profile", {**PROFILE_FORM, "latitude": "north"}, "latitude",
         "is not decimal degrees; write e.g. 51.5074"),
        ("/admin/profile", {**PROFILE_FORM, "longitude": ""}, "longitude",
         "give both latitude and longitude"),
        ("/admin/profile", {**PROFILE_FORM, "links": "no bar here"}, "links",
         "line 1: write Title | https://"),
        ("/admin/resources/new", {**DESK_FORM, "capacity": "lots"}, "capacity",
         "Not a valid integer."),
        ("/admin/resources/new", {**DESK_FORM, "capacity": "0"}, "capacity",
         "Must be greater than or equal to 1"),
        ("/admin/resources/new", {**DESK_FORM, "price_hour": "12.345"}, "price_hour",
         "at most 2 decimals for GBP"),
        ("/admin/resources/new", {**DESK_FORM, "kind": "castle"}, "kind",
         "unknown kind 'castle'; one of hot_desk"),
        ("/admin/events/new", {**EVENT_FORM, "end": "2026-12-05T13:00"}, "end",
         "end must be after start"),
        ("/admin/events/new", {**EVENT_FORM, "start": "tomorrow"}, "start",
         "use YYYY-MM-DDTHH:MM"),
        ("/admin/events/new", {**EVENT_FORM, "cohosts": "did:web:example.com"}, "cohosts",
         "not a Spazi node id"),
        ("/admin/events/new", {**EVENT_FORM, "price": "free"}, "price",
         "use a number like 12.50"),
    ],
)  # fmt: skip
def test_bad_form_input_shows_the_error_and_changes_nothing(
    admin: SpaceNode, path: str, form: dict[str, str], field: str, message: str
) -> None:
    login(admin)
    before = admin.counts()
    response = post_form(admin, path, form)
    assert response.status_code == 422
    errors = field_errors(response)
    assert message in errors.get(field, ""), errors
    html = response.get_data(as_text=True)
    assert "Not saved." in html
    # What was typed is still in the form, ready to correct.
    kept = {"/admin/profile": "city", "/admin/resources/new": "name", "/admin/events/new": "title"}
    assert f'value="{form[kept[path]]}"' in html
    assert admin.counts() == before


def test_every_mistake_in_a_form_shows_at_once(admin: SpaceNode) -> None:
    login(admin)
    before = admin.counts()
    bad = {**EVENT_FORM, "price": "lots", "end": "2026-12-05T13:00"}
    errors = field_errors(post_form(admin, "/admin/events/new", bad))
    assert errors.keys() == {"price", "end"}
    bad = {**EVENT_FORM, "price": "lots", "capacity": "many", "cohosts": "did:web:x"}
    errors = field_errors(post_form(admin, "/admin/events/new", bad))
    assert errors.keys() == {"price", "capacity", "cohosts"}
    profile = {**PROFILE_FORM, "latitude": "north", "contact_email": "nope", "country": "GBR"}
    errors = field_errors(post_form(admin, "/admin/profile", profile))
    assert errors.keys() == {"latitude", "contact_email", "country"}
    assert admin.counts() == before


def test_refusals_that_are_not_field_errors_show_the_reason(admin: SpaceNode) -> None:
    login(admin)
    post_form(admin, "/admin/events/new", {**EVENT_FORM, "title": "Once"})
    (event,) = admin.client.get("/api/v1/events").get_json()["events"]
    post_form(admin, f"/admin/events/{event['id']}/cancel", {})
    before = admin.counts()
    token = csrf_token(admin.client, "/admin")
    direct = admin.client.post(
        f"/admin/events/{event['id']}/cancel", data={"csrf_token": token, "reason": ""}
    )
    assert direct.status_code == 409
    assert "is already cancelled" in direct.get_data(as_text=True)
    assert admin.counts() == before


def test_unknown_records_are_html_404s(admin: SpaceNode) -> None:
    login(admin)
    for path in (
        "/admin/resources/nope/edit",
        "/admin/resources/nope/remove",
        "/admin/events/nope/edit",
        "/admin/events/nope/cancel",
    ):
        response = admin.client.get(path)
        assert response.status_code == 404, path
        assert response.mimetype == "text/html"
