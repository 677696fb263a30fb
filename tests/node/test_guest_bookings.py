"""Guest bookings between two in-process spaces: a member of WeCreate NYC (a) books a desk or the
meeting room at The Cube (b) with a guest pass. The booked day counts once under both quotas,
is reported to the home node when it begins, is given back when cancelled before the day; the
home node hears of each booking and shows it on the member's page. Every refusal has its own
reason and leaves nothing behind."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from icalendar import Calendar
from sqlalchemy import func, select

from node.bookings import ics, jobs, service
from node.bookings.models import Booking, ReceivedBooking
from node.clock import local_day_start
from node.models import OutboxMessage
from node.twinning import desk, passes
from node.twinning.agreements import Terms
from node.twinning.member_links import member_link
from node.twinning.models import ReceivedVisit, Visit, VisitMonth
from tests.network import Network, network
from tests.node.twin_support import add_member, add_resources, twin
from tests.support import FakeClock

LONDON = "Europe/London"
# Mon–Fri 08:00–20:00, Saturday 10:00–16:00, closed on Sunday.
HOURS = [
    {"days": ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday"], "opens": "08:00",
     "closes": "20:00"},
    {"days": ["Saturday"], "opens": "10:00", "closes": "16:00"},
]  # fmt: skip
# The fake clock starts on Wednesday 2026-11-18 at 11:06 in London.
THURSDAY, FRIDAY, SUNDAY = date(2026, 11, 19), date(2026, 11, 20), date(2026, 11, 22)


@pytest.fixture
def net(tmp_path: Path, clock: FakeClock) -> Iterator[Network]:
    """a's members visit b: two days each and three in all a month, desks and meeting rooms."""
    with network(tmp_path, clock) as net:
        net.add("a", title="WeCreate NYC", timezone="America/New_York")
        net.add(
            "b",
            title="The Cube",
            timezone=LONDON,
            opening_hours=HOURS,
            address="1 Shoreditch High St",
            city="London",
        )
        net.peer("a", "b")
        net.settle()
        add_resources(
            net,
            "b",
            ("desks", "hot_desk", "Hot desks", 2),
            ("sala", "meeting_room", "Sala Arno; big, bright", 8),
            ("suite", "office", "Suite", 4),
        )
        twin(net, "a", "b", ours=Terms(2, 3, ("hot_desk", "meeting_room")))
        yield net


def _pass(net: Network, member: int, day: date | None = None) -> str:
    with net["a"].node.db.write() as session:
        token = passes.issue_pass(session, net["a"].node, member, net["b"].id, day).token
    net.settle()
    return token


def _book(
    net: Network, token: str, resource: str, day: date, start: str = "", end: str = ""
) -> tuple[Booking, str]:
    host = net["b"].node
    with host.db.write() as session:
        row, secret = service.book(
            session, host, token, service.parse_request(resource, day, start, end)
        )
        session.expunge(row)
    return row, secret


def _stored(net: Network) -> tuple[Any, ...]:
    """Everything a booking writes at the host."""
    with net["b"].node.db.read() as session:
        return (
            session.scalar(select(func.count(Booking.id))),
            session.scalar(select(func.count(Visit.id))),
            session.scalar(select(func.coalesce(func.sum(VisitMonth.days), 0))),
            session.scalar(select(func.count(OutboxMessage.id))),
        )


def _queued(net: Network, kind: str) -> list[dict[str, Any]]:
    with net["b"].node.db.read() as session:
        rows = session.scalars(
            select(OutboxMessage).where(OutboxMessage.kind == kind).order_by(OutboxMessage.id)
        )
        return [dict(r.message) for r in rows]


def _month_days(net: Network) -> int:
    with net["b"].node.db.read() as session:
        return int(session.scalar(select(func.coalesce(func.sum(VisitMonth.days), 0))) or 0)


def _to_day(net: Network, day: date, hour: int = 9) -> None:
    """Move the fake clock to ``hour`` o'clock of ``day`` in London."""
    net.clock.now = local_day_start(day, LONDON).timestamp() + hour * 3600


def test_a_desk_booked_ahead_counts_once_and_is_reported_when_its_day_begins(
    net: Network,
) -> None:
    ada = add_member(net, "a")
    token = _pass(net, ada, FRIDAY)
    row, secret = _book(net, token, "desks", FRIDAY)
    assert (row.day, row.start, row.end, row.resource_kind) == (
        "2026-11-20",
        None,
        None,
        "hot_desk",
    )
    assert len(secret) >= 22 and _month_days(net) == 1
    # The home node hears of the booking now, of the day only when it begins.
    notices = _queued(net, "booking.notice")
    assert [(n["state"], n["day"], n["resource"]) for n in notices] == [
        ("booked", "2026-11-20", "Hot desks")
    ]
    assert _queued(net, "visit.report") == []
    net.deliver()
    with net["a"].node.db.read() as session:
        held = session.scalars(select(ReceivedBooking)).all()
        assert [(h.member_id, h.day, h.state) for h in held] == [(ada, "2026-11-20", "booked")]
    with net["a"].node.db.write() as session:
        link = member_link(session, net["a"].node, ada)
    page = net["a"].client.get(link).get_data(True)
    assert "Your bookings at partner spaces" in page and "Hot desks" in page
    assert "2026-11-20" in page and "The Cube" in page
    # The job before the day reports nothing; on the day it reports once.
    jobs.report_booked_days_job(net["b"].node)
    assert _queued(net, "visit.report") == []
    _to_day(net, FRIDAY, hour=0)
    net.clock.advance(60)
    jobs.report_booked_days_job(net["b"].node)
    jobs.report_booked_days_job(net["b"].node)
    assert [m["day"] for m in _queued(net, "visit.report")] == ["2026-11-20"]
    # Checking in on the booked day does not count it again.
    with net["b"].node.db.write() as session:
        result = desk.check_in(session, net["b"].node, token)
    assert result.admitted and result.already_today and result.member_days_used == 1
    assert _month_days(net) == 1
    net.deliver()
    with net["a"].node.db.read() as session:
        assert session.scalars(select(ReceivedVisit.day)).all() == ["2026-11-20"]


def test_checking_in_on_a_booked_day_reports_it_without_waiting_for_the_job(
    net: Network,
) -> None:
    ada = add_member(net, "a")
    token = _pass(net, ada, THURSDAY)
    _book(net, token, "desks", THURSDAY)
    _to_day(net, THURSDAY)
    with net["b"].node.db.write() as session:
        assert desk.check_in(session, net["b"].node, token).already_today
    assert [m["day"] for m in _queued(net, "visit.report")] == ["2026-11-19"]
    with net["b"].node.db.write() as session:
        assert desk.report_due_days(session, net["b"].node, THURSDAY) == 0  # done once


def test_a_booking_today_is_reported_at_once(net: Network) -> None:
    ada = add_member(net, "a")
    token = _pass(net, ada)
    _book(net, token, "sala", date(2026, 11, 18), "14:00", "16:00")
    assert [m["day"] for m in _queued(net, "visit.report")] == ["2026-11-18"]


def test_cancelling_before_the_day_gives_the_day_back_and_tells_the_home_node(
    net: Network,
) -> None:
    ada = add_member(net, "a")
    token = _pass(net, ada, FRIDAY)
    desk_row, desk_secret = _book(net, token, "desks", FRIDAY)
    room_row, room_secret = _book(net, token, "sala", FRIDAY, "09:00", "10:30")
    assert _month_days(net) == 1  # two bookings, one guest day
    host = net["b"].node
    with host.db.write() as session:
        booking = service.for_secret(session, room_secret)
        assert booking is not None
        assert service.cancel(session, host, booking) is False  # the desk still holds the day
    assert _month_days(net) == 1
    with host.db.write() as session:
        booking = service.for_secret(session, desk_secret)
        assert booking is not None
        assert service.cancel(session, host, booking) is True
    assert _month_days(net) == 0
    with host.db.read() as session:
        assert session.scalar(select(func.count(Visit.id))) == 0
    with host.db.write() as session:
        booking = service.for_secret(session, desk_secret)
        assert booking is not None
        with pytest.raises(service.BookingRefused) as again:
            service.cancel(session, host, booking)
    assert again.value.reason == "already-cancelled"
    net.deliver()
    with net["a"].node.db.read() as session:
        rows = session.execute(select(ReceivedBooking.booking, ReceivedBooking.state))
        states = {booking: state for booking, state in rows}
    assert states == {str(desk_row.id): "cancelled", str(room_row.id): "cancelled"}
    # The day is the member's again: two more days this month.
    _book(net, _pass(net, ada, THURSDAY), "desks", THURSDAY)
    _book(net, token, "desks", FRIDAY)
    assert _month_days(net) == 2
    # No visit was ever reported for the cancelled bookings.
    assert _queued(net, "visit.report") == []


def test_the_guest_cannot_cancel_on_the_day_but_the_host_can(net: Network) -> None:
    ada = add_member(net, "a")
    _, secret = _book(net, _pass(net, ada, THURSDAY), "desks", THURSDAY)
    _to_day(net, THURSDAY)
    host = net["b"].node
    with host.db.write() as session:
        booking = service.for_secret(session, secret)
        assert booking is not None
        with pytest.raises(service.BookingRefused) as late:
            service.cancel(session, host, booking)
        assert late.value.reason == "too-late"
    with host.db.write() as session:
        booking = service.for_secret(session, secret)
        assert booking is not None
        assert service.cancel(session, host, booking, by="host") is False  # the day has begun
    assert _month_days(net) == 1


def test_a_late_booked_notice_does_not_undo_a_cancellation(net: Network) -> None:
    ada = add_member(net, "a")
    _, secret = _book(net, _pass(net, ada, FRIDAY), "desks", FRIDAY)
    host = net["b"].node
    with host.db.write() as session:
        booking = service.for_secret(session, secret)
        assert booking is not None
        service.cancel(session, host, booking)
    booked, cancelled = _queued(net, "booking.notice")
    home = net["a"].node
    from node.bookings import notices

    with home.db.write() as session:  # delivered out of order, then twice
        notices.receive(session, home, net["b"].id, cancelled)
        notices.receive(session, home, net["b"].id, booked)
        notices.receive(session, home, net["b"].id, cancelled)
    with home.db.read() as session:
        assert session.scalars(select(ReceivedBooking.state)).all() == ["cancelled"]


def test_a_room_slot_is_taken_once_and_neighbouring_slots_stay_free(net: Network) -> None:
    ada, bob = add_member(net, "a"), add_member(net, "a", "Bob Noyce")
    _book(net, _pass(net, ada, FRIDAY), "sala", FRIDAY, "14:00", "16:00")
    bob_pass = _pass(net, bob, FRIDAY)
    before = _stored(net)
    for start, end in (
        ("15:00", "17:00"),
        ("13:00", "14:30"),
        ("14:00", "16:00"),
        ("14:30", "15:00"),
    ):
        with pytest.raises(service.BookingRefused) as taken:
            _book(net, bob_pass, "sala", FRIDAY, start, end)
        assert taken.value.reason == "slot-taken"
    assert _stored(net) == before
    _book(net, bob_pass, "sala", FRIDAY, "16:00", "17:00")  # touching is not overlapping
    _book(net, bob_pass, "sala", FRIDAY, "12:00", "14:00")


def test_the_last_seat_goes_once(net: Network) -> None:
    people = [add_member(net, "a", name) for name in ("Ada Lovelace", "Bob Noyce", "Cy Young")]
    tokens = [_pass(net, person, FRIDAY) for person in people]
    _book(net, tokens[0], "desks", FRIDAY)
    with pytest.raises(service.BookingRefused) as twice:
        _book(net, tokens[0], "desks", FRIDAY)
    assert twice.value.reason == "already-booked"
    _book(net, tokens[1], "desks", FRIDAY)
    before = _stored(net)
    with pytest.raises(service.BookingRefused) as full:
        _book(net, tokens[2], "desks", FRIDAY)
    assert full.value.reason == "full" and _stored(net) == before


@pytest.mark.parametrize(
    ("resource", "day", "start", "end", "reason"),
    [
        ("sala", FRIDAY, "07:00", "09:00", "outside-hours"),
        ("sala", FRIDAY, "19:00", "21:00", "outside-hours"),
        ("sala", date(2026, 11, 21), "16:00", "17:00", "outside-hours"),  # Saturday closes at 4
        ("sala", SUNDAY, "10:00", "11:00", "closed"),
        ("desks", SUNDAY, "", "", "closed"),
        ("desks", date(2026, 11, 17), "", "", "past"),
        ("sala", date(2026, 11, 18), "09:00", "10:00", "past"),  # earlier today
        ("suite", FRIDAY, "10:00", "11:00", "resource-not-covered"),
        ("attic", FRIDAY, "", "", "unknown-resource"),
    ],
)
def test_each_refusal_has_its_reason_and_stores_nothing(
    net: Network, resource: str, day: date, start: str, end: str, reason: str
) -> None:
    ada = add_member(net, "a")
    token = _pass(net, ada)  # 24 hours from now: covers today and tomorrow morning
    if day not in (date(2026, 11, 17), date(2026, 11, 18)):
        with net["a"].node.db.write() as session:  # a pass for that very day, where possible
            if (day - date(2026, 11, 18)).days <= 6:
                token = passes.issue_pass(session, net["a"].node, ada, net["b"].id, day).token
        net.settle()
    before = _stored(net)
    with pytest.raises(service.BookingRefused) as refused:
        _book(net, token, resource, day, start, end)
    assert refused.value.reason == reason
    assert refused.value.detail == service.MESSAGES[reason]
    assert _stored(net) == before


def test_the_pass_must_be_valid_for_the_booked_day(net: Network) -> None:
    ada = add_member(net, "a")
    thursday_pass = _pass(net, ada, THURSDAY)
    before = _stored(net)
    with pytest.raises(service.BookingRefused) as other_day:
        _book(net, thursday_pass, "desks", FRIDAY)
    assert other_day.value.reason == "pass-not-for-day"
    host = net["b"].node
    with net["a"].node.db.write() as session:
        passes.revoke_pass(
            session, net["a"].node, passes.live_passes(session, net["a"].node)[0].jti
        )
    net.settle()
    with pytest.raises(service.BookingRefused) as revoked:
        _book(net, thursday_pass, "desks", THURSDAY)
    assert revoked.value.reason == "revoked"
    net.clock.advance(8 * 86400)
    with pytest.raises(service.BookingRefused) as expired:
        _book(net, thursday_pass, "desks", THURSDAY + timedelta(days=8))
    assert expired.value.reason == "expired"
    with pytest.raises(service.BookingRefused) as garbage:
        _book(net, "not a pass", "desks", FRIDAY + timedelta(days=7))
    assert garbage.value.reason == "malformed"
    assert _stored(net)[:3] == before[:3]
    del host


def test_the_quotas_hold_for_bookings_and_check_ins_together(net: Network) -> None:
    ada, bob = add_member(net, "a"), add_member(net, "a", "Bob Noyce")
    with net["b"].node.db.write() as session:  # today at the desk: Ada's first day
        assert desk.check_in(session, net["b"].node, _pass(net, ada)).admitted
    _book(net, _pass(net, ada, THURSDAY), "desks", THURSDAY)
    before = _stored(net)
    with pytest.raises(service.BookingRefused) as member_quota:
        _book(net, _pass(net, ada, FRIDAY), "desks", FRIDAY)
    assert member_quota.value.reason == "member-quota"
    assert _stored(net)[:3] == before[:3]
    _book(net, _pass(net, bob, FRIDAY), "desks", FRIDAY)  # the partner's third and last day
    with pytest.raises(service.BookingRefused) as partner_quota:
        _book(net, _pass(net, bob, THURSDAY), "desks", THURSDAY)
    assert partner_quota.value.reason == "partner-quota"
    assert _month_days(net) == 3


@pytest.mark.parametrize(
    ("fields", "named"),
    [
        (("", "2026-11-20", "", ""), "resource"),
        (("desks", "20/11/2026", "", ""), "day"),
        (("sala", "2026-11-20", "9am", "10:00"), "start"),
        (("sala", "2026-11-20", "10:00", ""), "end"),
        (("sala", "2026-11-20", "11:00", "10:00"), "end"),
    ],
)
def test_a_malformed_request_names_its_field(fields: tuple[str, ...], named: str) -> None:
    from node.errors import InvalidInput

    with pytest.raises(InvalidInput) as bad:
        service.parse_request(*fields)
    assert named in bad.value.extra["errors"]


def test_a_desk_takes_no_times_and_a_room_needs_them(net: Network) -> None:
    from node.errors import InvalidInput

    token = _pass(net, add_member(net, "a"), FRIDAY)
    with pytest.raises(InvalidInput, match="whole day"):
        _book(net, token, "desks", FRIDAY, "09:00", "10:00")
    with pytest.raises(InvalidInput, match="give a start"):
        _book(net, token, "sala", FRIDAY)


def test_the_invitation_is_in_the_hosts_time_zone_and_escaped(net: Network) -> None:
    ada = add_member(net, "a")
    row, secret = _book(net, _pass(net, ada, FRIDAY), "sala", FRIDAY, "14:00", "16:00")
    host = net["b"].node
    with host.db.read() as session:
        view = service.views(session, host, [session.get(Booking, row.id)])[0]  # type: ignore[list-item]
        from node.services.space import get_profile

        profile = get_profile(session, host.node_id)
    url = f"http://b.test/bookings/{secret}"
    raw = ics.invitation(host.node_id, url, profile, view)
    assert b"Sala Arno\\; big\\, bright" in raw  # text escaped, not cut at the separator
    event = Calendar.from_ical(raw).walk("VEVENT")[0]
    assert str(event["uid"]) == ics.booking_uid(host.node_id, row.id)
    start, end = event.decoded("dtstart"), event.decoded("dtend")
    assert isinstance(start, datetime) and str(start.tzinfo) == LONDON
    assert (start.hour, end.hour) == (14, 16) and start.date() == FRIDAY
    assert "1 Shoreditch High St" in str(event["location"])
    assert event["organizer"].params["cn"] == "The Cube"
    assert str(event["status"]) == "CONFIRMED"
    # A desk booking runs from opening to closing time.
    desk_row, _ = _book(net, _pass(net, ada, FRIDAY), "desks", FRIDAY)
    with host.db.write() as session:
        booking = session.get(Booking, row.id)
        assert booking is not None
        service.cancel(session, host, booking)
        views = service.views(session, host, [booking, session.get(Booking, desk_row.id)])  # type: ignore[list-item]
    cancelled = Calendar.from_ical(ics.invitation(host.node_id, url, profile, views[0]))
    item = cancelled.walk("VEVENT")[0]
    assert str(item["status"]) == "CANCELLED" and int(item["sequence"]) == 1
    assert str(item["uid"]) == str(event["uid"])
    whole = Calendar.from_ical(ics.invitation(host.node_id, url, profile, views[1]))
    day = whole.walk("VEVENT")[0]
    assert (day.decoded("dtstart").hour, day.decoded("dtend").hour) == (8, 20)


def test_the_admin_and_the_desk_see_what_is_booked(net: Network) -> None:
    ada = add_member(net, "a", "Ada <b>Lovelace</b>")
    _book(net, _pass(net, ada), "sala", date(2026, 11, 18), "15:00", "16:00")
    host = net["b"].node
    with host.db.read() as session:
        today = service.today(session, host)
        week = service.between(session, host, date(2026, 11, 18), 7)
    assert [(v.resource_name, v.when, v.home_name) for v in today] == [
        ("Sala Arno; big, bright", "15:00–16:00", "WeCreate NYC")
    ]
    assert week == today


def test_a_day_booked_ahead_is_unconfirmed_in_the_hosts_report_until_it_is_reported(
    net: Network,
) -> None:
    from node.twinning import reports

    ada = add_member(net, "a")
    _book(net, _pass(net, ada, FRIDAY), "desks", FRIDAY)
    with net["b"].node.db.read() as session:
        (row,) = reports.visit_report(session, "2026-11").rows_of("hosted")
    assert (row.days, row.unconfirmed) == (1, 1)
    _to_day(net, FRIDAY)
    jobs.report_booked_days_job(net["b"].node)
    net.deliver()
    with net["b"].node.db.read() as session:
        (row,) = reports.visit_report(session, "2026-11").rows_of("hosted")
    with net["a"].node.db.read() as session:
        (abroad,) = reports.visit_report(session, "2026-11").rows_of("abroad")
    assert (row.days, row.unconfirmed, abroad.days) == (1, 0, 1)


def test_the_pass_must_hold_when_the_booked_time_begins(net: Network) -> None:
    """A 24-hour pass issued Wednesday 11:06 ends Thursday 11:06: the desk would turn it away
    at 14:00 on Thursday, so the booking is refused too."""
    token = _pass(net, add_member(net, "a"))
    before = _stored(net)
    with pytest.raises(service.BookingRefused) as late:
        _book(net, token, "sala", THURSDAY, "14:00", "16:00")
    assert late.value.reason == "pass-not-for-day" and _stored(net) == before
    _book(net, token, "sala", THURSDAY, "09:00", "10:00")  # within the pass


def _unsigned_pass(net: Network) -> str:
    """A token of the right shape, signed by nobody."""
    import base64
    import json

    def b64(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

    header = {"alg": "EdDSA", "kid": "z6MkiTBz1ymuepAQ4HEHYSF1H8quG5GLVVQR3djdX3mDooWp",
              "typ": "spazi-pass+jwt"}  # fmt: skip
    claims = {"iss": net["a"].id, "aud": net["b"].id, "sub": "m-x", "name": "X",
              "agr": "0" * 64, "jti": "j" * 22, "iat": 1, "nbf": 1,
              "exp": 4_000_000_000}  # fmt: skip
    return ".".join([b64(json.dumps(header).encode()), b64(json.dumps(claims).encode()),
                     b64(bytes(64))])  # fmt: skip


@pytest.mark.parametrize("day", ["9999-12-31", "2026-11-27", "0001-01-01"])
def test_days_no_pass_can_reach_are_refused_without_a_server_error(net: Network, day: str) -> None:
    api = net["b"].app.test_client()
    answer = api.post("/api/v1/bookings", json={"pass": _unsigned_pass(net), "resource": "desks",
                                                "day": day})  # fmt: skip
    assert answer.status_code == 409
    assert answer.get_json()["type"].endswith("past" if day < "2026" else "pass-not-for-day")
    page = net["b"].client.post("/book", data={"pass": _unsigned_pass(net), "resource": "desks",
                                               "day": day})  # fmt: skip
    assert page.status_code == 409


def test_listings_refuse_odd_days_and_counts(net: Network) -> None:
    from node.services.admin_auth import create_token

    with net["b"].node.db.write() as session:
        _, secret = create_token(session, "desk app")
    api = net["b"].app.test_client()
    bearer = {"Authorization": f"Bearer {secret}"}
    for query in ("days=\u00b2", "days=0", "days=32", "day=9999-12-31&days=2", "day=0001-01-01"):
        assert api.get(f"/api/v1/bookings?{query}", headers=bearer).status_code == 422, query
    from tests.node.test_admin_pages import logged_in_admin

    admin = logged_in_admin(net["b"])
    for day in ("9999-12-31", "0001-01-02"):
        assert admin.get(f"/admin/bookings?day={day}").status_code == 422


def test_a_guest_who_booked_ahead_is_among_todays_guests_once_they_come_in(
    net: Network,
) -> None:
    ada = add_member(net, "a")
    token = _pass(net, ada, FRIDAY)
    _book(net, token, "desks", FRIDAY)
    _to_day(net, FRIDAY)
    host = net["b"].node
    with host.db.read() as session:
        assert desk.todays_checkins(session, host) == []  # booked, not here yet
        assert [v.name for v in service.today(session, host)] == ["Ada Lovelace"]
    net.clock.advance(1800)
    with host.db.write() as session:
        assert desk.check_in(session, host, token).already_today
    with host.db.read() as session:
        (guest,) = desk.todays_checkins(session, host)
    assert guest.name == "Ada Lovelace" and (guest.time.hour, guest.time.minute) == (9, 30)
    assert _month_days(net) == 1


def test_a_revoked_pass_or_an_ended_agreement_voids_the_bookings_ahead(net: Network) -> None:
    from node.twinning import agreements
    from node.twinning.models import Agreement

    ada, bob = add_member(net, "a"), add_member(net, "a", "Bob Noyce")
    ada_pass, bob_pass = _pass(net, ada, FRIDAY), _pass(net, bob, THURSDAY)
    _book(net, ada_pass, "desks", FRIDAY)
    _book(net, bob_pass, "desks", THURSDAY)
    jobs.void_bookings_job(net["b"].node)
    assert _month_days(net) == 2  # nothing voided yet
    with net["a"].node.db.write() as session:  # NYC revokes Ada's pass; The Cube syncs
        ada_jti = next(p.jti for p in passes.live_passes(session, net["a"].node, ada))
        passes.revoke_pass(session, net["a"].node, ada_jti)
    net.settle()
    jobs.void_bookings_job(net["b"].node)
    with net["b"].node.db.read() as session:
        live = session.scalars(select(Booking.member).where(Booking.cancelled.is_(None))).all()
        by = session.scalars(select(Booking.cancelled_by).where(Booking.jti == ada_jti)).all()
    assert len(live) == 1 and by == ["host"] and _month_days(net) == 1
    assert [n["state"] for n in _queued(net, "booking.notice")] == ["booked", "booked", "cancelled"]
    # NYC ends the agreement: Bob's booking goes too.
    with net["a"].node.db.write() as session:
        agreement = session.scalars(select(Agreement.id)).one()
        agreements.terminate(session, net["a"].node, agreement)
    net.settle()
    jobs.void_bookings_job(net["b"].node)
    assert _month_days(net) == 0
    with net["b"].node.db.read() as session:
        live = session.scalars(select(Booking.id).where(Booking.cancelled.is_(None))).all()
    assert live == []
