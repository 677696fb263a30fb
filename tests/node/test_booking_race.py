"""Two guests ask for the last seat (or the same room slot) at the same moment, on SQLite and
PostgreSQL: the (resource, day) row is locked by the first booking until it commits, so the
second sees the seat taken and is refused with a clear reason; one booking is stored."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select

from node.bookings import service
from node.bookings.models import Booking
from node.twinning import passes
from node.twinning.agreements import Terms
from tests.network import Network, network
from tests.node.twin_support import add_member, add_resources, twin
from tests.support import FakeClock, overlapping_writes

FRIDAY = date(2026, 11, 20)


@pytest.fixture
def net(tmp_path: Path, clock: FakeClock, database_url: str | None) -> Iterator[Network]:
    """a's members book at b (on the parametrised database): one seat, one room."""
    with network(tmp_path, clock) as net:
        net.add("a", title="WeCreate NYC", timezone="America/New_York")
        net.add("b", title="The Cube", database_url=database_url)
        net.peer("a", "b")
        net.settle()
        seat, room = ("seat", "hot_desk", "Seat", 1), ("room", "meeting_room", "Room", 6)
        add_resources(net, "b", seat, room)
        twin(net, "a", "b", ours=Terms(5, 50, ("hot_desk", "meeting_room")))
        yield net


def _token(net: Network, person: str) -> str:
    member = add_member(net, "a", person)
    with net["a"].node.db.write() as session:
        token = passes.issue_pass(session, net["a"].node, member, net["b"].id, FRIDAY).token
    net.settle()
    return token


@pytest.mark.parametrize(
    ("resource", "start", "end", "reason"),
    [("seat", "", "", "full"), ("room", "10:00", "12:00", "slot-taken")],
)
def test_two_guests_cannot_both_book_the_last_place(
    net: Network, resource: str, start: str, end: str, reason: str
) -> None:
    host = net["b"].node
    first_token, second_token = _token(net, "Ada Lovelace"), _token(net, "Bob Noyce")
    wanted = service.parse_request(resource, FRIDAY, start, end)
    _, second = overlapping_writes(
        host.db,
        lambda session: service.book(session, host, first_token, wanted),
        lambda session: service.book(session, host, second_token, wanted),
    )
    assert isinstance(second, service.BookingRefused), second
    assert second.reason == reason
    with host.db.read() as session:
        assert session.scalar(select(func.count(Booking.id))) == 1


def _counted(net: Network) -> tuple[int, int, int]:
    """Live bookings, counted visits and the month's days at the host."""
    from node.twinning.models import Visit, VisitMonth

    with net["b"].node.db.read() as session:
        live = session.scalar(select(func.count(Booking.id)).where(Booking.cancelled.is_(None)))
        visits = session.scalar(select(func.count(Visit.id)))
        month = session.scalar(select(func.coalesce(func.sum(VisitMonth.days), 0)))
    return int(live or 0), int(visits or 0), int(month or 0)


def test_booking_while_cancelling_the_same_day_keeps_the_day_counted(net: Network) -> None:
    """Without the month's lock taken by the cancellation first, it did not see the new
    booking and gave the day back: a live booking that no quota counted."""
    host, token = net["b"].node, _token(net, "Ada Lovelace")
    with host.db.write() as session:
        first, _ = service.book(session, host, token, service.parse_request("seat", FRIDAY))
        first_id = first.id
    _, released = overlapping_writes(
        host.db,
        lambda session: service.book(
            session, host, token, service.parse_request("room", FRIDAY, "10:00", "11:00")
        ),
        lambda session: service.cancel(session, host, session.get(Booking, first_id)),
    )
    assert released is False  # the room's booking holds the day
    assert _counted(net) == (1, 1, 1)


def test_two_cancellations_of_one_day_at_once_give_it_back(net: Network) -> None:
    host, token = net["b"].node, _token(net, "Ada Lovelace")
    with host.db.write() as session:
        seat, _ = service.book(session, host, token, service.parse_request("seat", FRIDAY))
        room, _ = service.book(
            session, host, token, service.parse_request("room", FRIDAY, "10:00", "11:00")
        )
        ids = seat.id, room.id
    overlapping_writes(
        host.db,
        lambda session: service.cancel(session, host, session.get(Booking, ids[0])),
        lambda session: service.cancel(session, host, session.get(Booking, ids[1])),
    )
    assert _counted(net) == (0, 0, 0)
