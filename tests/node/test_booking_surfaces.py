"""Guest bookings through every surface: the member's page at home sends the pass to the host's
booking page, the guest books, gets the confirmation page, the invitation and the mail (a real
SMTP server), and cancels; the JSON API and ``spazi booking`` do the same with problem+json and
one-line errors; the admin and the desk pages list what is booked. Text from the guest's space
is escaped."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from icalendar import Calendar
from sqlalchemy import func, select

from node.bookings.models import Booking
from node.services.admin_auth import create_token
from node.twinning import passes
from node.twinning.agreements import Terms
from node.twinning.member_links import member_link
from tests.cli_network import in_network, run_cli
from tests.mail_server import Inbox, smtp_settings
from tests.network import Network, network
from tests.node.test_admin_pages import logged_in_admin
from tests.node.twin_support import add_member, add_resources, twin
from tests.support import FakeClock

FRIDAY = date(2026, 11, 20)


@pytest.fixture
def net(
    tmp_path: Path,
    clock: FakeClock,
    smtp: tuple[Inbox, int],
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[Network]:
    _, port = smtp
    with network(tmp_path, clock, **smtp_settings(port)) as net:
        net.add("a", title="WeCreate NYC", timezone="America/New_York")
        net.add("b", title="The Cube", timezone="Europe/London", address="1 High St")
        net.peer("a", "b")
        net.settle()
        add_resources(
            net,
            "b",
            ("desks", "hot_desk", "Hot desks", 3),
            ("sala", "meeting_room", "Sala", 8),
            ("suite", "office", "Suite", 2),
        )
        twin(net, "a", "b", ours=Terms(3, 10, ("hot_desk", "meeting_room")))
        in_network(net, monkeypatch)
        yield net


def _token(net: Network, person: str = "Ada Lovelace", day: date | None = FRIDAY) -> str:
    member = add_member(net, "a", person, email=f"m{len(person)}@a.test")
    with net["a"].node.db.write() as session:
        token = passes.issue_pass(session, net["a"].node, member, net["b"].id, day).token
    net.settle()
    return token


def _bookings(net: Network) -> int:
    with net["b"].node.db.read() as session:
        return int(session.scalar(select(func.count(Booking.id))) or 0)


def test_the_member_page_sends_the_pass_to_the_partners_booking_page(net: Network) -> None:
    member = add_member(net, "a")
    with net["a"].node.db.write() as session:
        token = passes.issue_pass(session, net["a"].node, member, net["b"].id, FRIDAY).token
        link = member_link(session, net["a"].node, member)
    net.settle()
    page = net["a"].client.get(link)
    html = page.get_data(as_text=True)
    form = re.search(r'<form class="no-print" method="post" action="([^"]+)">\s*'
                     r'<input type="hidden" name="pass" value="([^"]+)">', html)  # fmt: skip
    assert form is not None and form.group(1) == "http://b.test/book"
    assert form.group(2) == token  # in the body of a POST, never in an address
    policy = page.headers["Content-Security-Policy"]
    assert "form-action 'self' http://b.test;" in policy
    # The host's booking page takes the pass and offers what the agreement covers only.
    offered = net["b"].client.post("/book", data={"pass": token})
    text = offered.get_data(as_text=True)
    assert offered.status_code == 200 and "Ada Lovelace" in text and "WeCreate NYC" in text
    assert 'value="desks"' in text and 'value="sala"' in text and 'value="suite"' not in text
    assert offered.headers["Referrer-Policy"] == "no-referrer"


def test_a_guest_books_gets_the_invitation_and_mail_and_cancels(
    net: Network, smtp: tuple[Inbox, int]
) -> None:
    inbox, _ = smtp
    token = _token(net)
    client = net["b"].client
    made = client.post(
        "/book",
        data={"pass": token, "resource": "sala", "day": "2026-11-20", "start": "14:00",
              "end": "15:30", "email": "ada@elsewhere.example"},
    )  # fmt: skip
    assert made.status_code == 303
    location = made.headers["Location"]
    assert re.fullmatch(r"/bookings/[A-Za-z0-9_-]{22}", location)
    page = client.get(location).get_data(as_text=True)
    assert "Booked. A confirmation is on its way by e-mail." in page
    assert "14:00–15:30" in page and "Sala" in page and "Cancel this booking" in page
    invitation = client.get(location + "/booking.ics")
    assert invitation.headers["Content-Type"].startswith("text/calendar")
    event = Calendar.from_ical(invitation.data).walk("VEVENT")[0]
    assert event.decoded("dtstart").hour == 14 and str(event["status"]) == "CONFIRMED"
    # The mail carries the link and the same invitation.
    (message,) = inbox.wait_for(1)
    assert message["To"] == "ada@elsewhere.example"
    assert "Your booking at The Cube" in str(message["Subject"])
    body = message.get_body(("plain",))
    assert body is not None and f"http://b.test{location}" in str(body.get_content())
    attached = [part for part in message.iter_attachments()]
    assert [part.get_content_type() for part in attached] == ["text/calendar"]
    assert str(Calendar.from_ical(attached[0].get_content()).walk("VEVENT")[0]["uid"]) == str(
        event["uid"]
    )
    # Cancelled from the page: the day is given back and the page says so.
    cancelled = client.post(location + "/cancel")
    assert cancelled.status_code == 303
    page = client.get(location).get_data(as_text=True)
    assert "Cancelled: the guest day is yours again." in page and "Cancel this booking" not in page
    again = client.post(location + "/cancel")
    assert again.status_code == 409 and "already cancelled" in again.get_data(as_text=True)
    assert client.get("/bookings/not-a-real-secret").status_code == 404


def test_a_refused_booking_shows_the_reason_and_keeps_the_choice(net: Network) -> None:
    token = _token(net)
    net["b"].client.post(
        "/book",
        data={"pass": token, "resource": "sala", "day": "2026-11-20", "start": "10:00",
              "end": "11:00"},
    )  # fmt: skip
    before = _bookings(net)
    other = _token(net, "Bob Noyce")
    taken = net["b"].client.post(
        "/book",
        data={"pass": other, "resource": "sala", "day": "2026-11-20", "start": "10:30",
              "end": "11:30"},
    )  # fmt: skip
    text = taken.get_data(as_text=True)
    assert taken.status_code == 409 and "already booked for part of that time" in text
    assert 'value="10:30"' in text and 'value="11:30"' in text  # the choice stays filled in
    assert _bookings(net) == before
    bad = net["b"].client.post("/book", data={"pass": "garbage"})
    assert bad.status_code == 409 and "not a readable Spazi guest pass" in bad.get_data(True)


def test_the_guests_name_is_escaped_on_every_page(net: Network) -> None:
    token = _token(net, "<script>alert(1)</script>")
    client = net["b"].client
    offered = client.post("/book", data={"pass": token}).get_data(as_text=True)
    assert "<script>alert" not in offered and "&lt;script&gt;" in offered
    made = client.post("/book", data={"pass": token, "resource": "desks", "day": "2026-11-20"})
    page = client.get(made.headers["Location"]).get_data(as_text=True)
    assert "<script>alert" not in page
    admin = logged_in_admin(net["b"])
    listing = admin.get("/admin/bookings?day=2026-11-20").get_data(as_text=True)
    assert "<script>alert" not in listing and "&lt;script&gt;" in listing


def test_the_admin_lists_a_week_and_cancels(net: Network) -> None:
    net["b"].client.post(
        "/book", data={"pass": _token(net), "resource": "desks", "day": "2026-11-20"}
    )
    admin = logged_in_admin(net["b"])
    today = admin.get("/admin/bookings").get_data(as_text=True)
    assert "No bookings on 2026-11-18" in today
    week = admin.get("/admin/bookings?week=1").get_data(as_text=True)
    assert "2026-11-20" in week and "Hot desks" in week and "Ada Lovelace" in week
    with net["b"].node.db.read() as session:
        booking_id = session.scalar(select(Booking.id))
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', week)
    assert csrf is not None
    done = admin.post(f"/admin/bookings/{booking_id}/cancel", data={"csrf_token": csrf.group(1)})
    assert done.status_code == 302
    assert "No bookings" in admin.get("/admin/bookings?week=1").get_data(as_text=True)
    assert admin.get("/admin/bookings?day=someday").status_code == 422


def test_the_api_books_reads_and_cancels(net: Network) -> None:
    api = net["b"].app.test_client()
    made = api.post(
        "/api/v1/bookings",
        json={"pass": _token(net), "resource": "sala", "day": "2026-11-20", "start": "09:00",
              "end": "10:00"},
    )  # fmt: skip
    assert made.status_code == 201, made.get_data(as_text=True)
    body = made.get_json()
    assert body["booking"]["resource_kind"] == "meeting_room"
    assert body["booking"]["start"] == "09:00" and body["link"].startswith("http://b.test/")
    secret = body["link"].rsplit("/", 1)[1]
    assert made.headers["Location"].endswith(f"/api/v1/bookings/by-link/{secret}")
    assert api.get(f"/api/v1/bookings/by-link/{secret}").get_json()["id"] == body["booking"]["id"]
    with net["b"].node.db.write() as session:
        _, token = create_token(session, "front desk app")
    bearer = {"Authorization": f"Bearer {token}"}
    listed = api.get("/api/v1/bookings?day=2026-11-20", headers=bearer).get_json()
    assert [b["id"] for b in listed["bookings"]] == [body["booking"]["id"]]
    assert api.get("/api/v1/bookings").status_code == 401
    cancelled = api.post(f"/api/v1/bookings/by-link/{secret}/cancel")
    assert cancelled.status_code == 200 and cancelled.get_json()["cancelled"] is True
    assert api.get("/api/v1/bookings?day=2026-11-20", headers=bearer).get_json() == {"bookings": []}


@pytest.mark.parametrize(
    ("payload", "status", "reason"),
    [
        ({"resource": "desks", "day": "2026-11-20"}, 422, "invalid-input"),  # no pass
        ({"pass": "x", "resource": "desks", "day": "2026-11-20", "extra": 1}, 422,
         "invalid-input"),
        ({"pass": "x", "resource": "desks", "day": "tomorrow"}, 422, "invalid-input"),
        ({"pass": "x", "resource": "desks", "day": "2026-11-20"}, 409, "malformed"),
        ({"pass": "TOKEN", "resource": "suite", "day": "2026-11-20", "start": "10:00",
          "end": "11:00"}, 409, "resource-not-covered"),
        ({"pass": "TOKEN", "resource": "attic", "day": "2026-11-20"}, 409, "unknown-resource"),
        ({"pass": "TOKEN", "resource": "sala", "day": "2026-11-20", "start": "11:00",
          "end": "10:00"}, 422, "invalid-input"),
    ],
)  # fmt: skip
def test_the_api_refuses_bad_bookings_with_a_problem(
    net: Network, payload: dict[str, Any], status: int, reason: str
) -> None:
    if payload.get("pass") == "TOKEN":
        payload = {**payload, "pass": _token(net)}
    response = net["b"].app.test_client().post("/api/v1/bookings", json=payload)
    assert response.status_code == status
    assert response.headers["Content-Type"] == "application/problem+json"
    assert response.get_json()["type"].endswith(reason)
    assert _bookings(net) == 0


def test_spazi_booking_from_the_terminal(net: Network, capsys: pytest.CaptureFixture[str]) -> None:
    token = _token(net)
    code, out, err = run_cli(
        capsys, net, "b", "booking", "add", token, "--resource", "desks", "--day", "2026-11-20"
    )
    assert code == 0, err
    assert "booked Hot desks (Hot desk) on 2026-11-20, all day, for Ada Lovelace" in out
    assert re.search(r"http://b\.test/bookings/[A-Za-z0-9_-]{22}", out)
    code, out, _ = run_cli(capsys, net, "b", "booking", "list", "--day", "2026-11-20")
    assert code == 0 and "Ada Lovelace" in out and "WeCreate NYC" in out
    code, out, err = run_cli(capsys, net, "b", "booking", "add", token, "--resource", "desks",
                             "--day", "2026-11-20")  # fmt: skip
    assert code == 1 and out == "" and err.count("\n") == 1 and "already hold a booking" in err
    code, out, err = run_cli(capsys, net, "b", "booking", "add", token, "--resource", "sala",
                             "--day", "2026-11-20", "--from", "9am", "--to", "10:00")  # fmt: skip
    assert code != 0 and err.count("\n") == 1 and "HH:MM" in err
    code, out, err = run_cli(capsys, net, "b", "booking", "cancel", "999")
    assert code != 0 and err.count("\n") == 1 and "spazi booking list" in err
    with net["b"].node.db.read() as session:
        first = session.scalar(select(Booking.id))
    code, out, err = run_cli(capsys, net, "b", "booking", "cancel", str(first))
    assert code == 0 and "gave the guest day back" in out
    code, out, _ = run_cli(capsys, net, "b", "booking", "list", "--day", "2026-11-20")
    assert "no bookings on 2026-11-20" in out


def test_the_desk_page_shows_whats_booked_today(net: Network) -> None:
    token = _token(net, day=None)
    net["b"].client.post(
        "/book",
        data={"pass": token, "resource": "sala", "day": "2026-11-18", "start": "14:00",
              "end": "16:00"},
    )  # fmt: skip
    admin = logged_in_admin(net["b"])
    page = admin.get("/admin/desk").get_data(as_text=True)
    assert "Booked today" in page and "14:00–16:00" in page and "Ada Lovelace" in page
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert csrf is not None
    answer = admin.post("/admin/desk", data={"csrf_token": csrf.group(1), "token": token})
    text = answer.get_data(as_text=True)
    assert "booked: meeting room Sala, 14:00–16:00" in text


def test_the_home_node_mails_its_member_each_booking_and_cancellation(
    net: Network, smtp: tuple[Inbox, int]
) -> None:
    inbox, _ = smtp
    client = net["b"].client
    made = client.post(
        "/book",
        data={"pass": _token(net), "resource": "sala", "day": "2026-11-20", "start": "09:00",
              "end": "10:00"},
    )  # fmt: skip
    location = made.headers["Location"]
    host_uid = Calendar.from_ical(client.get(location + "/booking.ics").data).walk("VEVENT")[0][
        "uid"
    ]
    net.deliver()
    (booked,) = inbox.wait_for(1)
    assert booked["To"] == "m12@a.test" and str(booked["Subject"]).startswith("Booked: ")
    assert "Sala at The Cube, 2026-11-20 (09:00–10:00)" in str(booked["Subject"])
    (attached,) = list(booked.iter_attachments())
    event = Calendar.from_ical(attached.get_content()).walk("VEVENT")[0]
    assert str(event["uid"]) == str(host_uid)  # one booking in the member's calendar
    assert event.decoded("dtstart").hour == 9 and str(event.decoded("dtstart").tzinfo) == (
        "Europe/London"
    )
    client.post(location + "/cancel")
    net.deliver()
    net.deliver()
    messages = inbox.wait_for(2)
    assert len(messages) == 2 and str(messages[1]["Subject"]).startswith("Booking cancelled")
    cancelled = Calendar.from_ical(next(messages[1].iter_attachments()).get_content())
    assert str(cancelled.walk("VEVENT")[0]["status"]) == "CANCELLED"


def test_the_confirmation_mail_is_in_the_language_the_guest_booked_in(
    net: Network, smtp: tuple[Inbox, int]
) -> None:
    inbox, _ = smtp
    made = net["b"].client.post(
        "/book?lang=it",
        data={"pass": _token(net), "resource": "sala", "day": "2026-11-20", "start": "14:00",
              "end": "15:30", "email": "ada@elsewhere.example"},
    )  # fmt: skip
    assert made.status_code == 303
    (message,) = inbox.wait_for(1)
    assert "La tua prenotazione presso The Cube: Sala riunioni Sala, 2026-11-20" in str(
        message["Subject"]
    )
    body = str(message.get_body(("plain",)).get_content())
    assert "Ciao Ada Lovelace," in body and "(14:00–15:30)" in body
    assert "L'invito è allegato" in body
