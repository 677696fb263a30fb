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
from node.services import resources
from node.twinning import passes
from node.twinning.agreements import Terms
from tests.network import Network, network
from tests.node.twin_support import add_member, twin
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
        with net["b"].node.db.write() as session:
            resources.add_resource(
                session, net["b"].node, {"id": "seat", "kind": "hot_desk", "name": "Seat",
                                         "capacity": 1})  # fmt: skip
            resources.add_resource(
                session, net["b"].node, {"id": "room", "kind": "meeting_room", "name": "Room",
                                         "capacity": 6})  # fmt: skip
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
