"""The partner quota holds when two front desks check in the partner's last day at the same
moment, on SQLite and PostgreSQL: the month's row (visit_months) is locked by the first check
until it commits, so the second sees the day counted and refuses. The month's figure always
equals the days recorded."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from node.models import OutboxMessage
from node.twinning import desk, passes
from node.twinning.agreements import Terms
from node.twinning.models import Visit, VisitMonth
from tests.network import Network, network
from tests.node.twin_support import add_member, twin
from tests.support import FakeClock, overlapping_writes


@pytest.fixture
def net(tmp_path: Path, clock: FakeClock, database_url: str | None) -> Iterator[Network]:
    """a's members visit b (on the parametrised database): two partner days a month in all,
    one per member."""
    with network(tmp_path, clock) as net:
        net.add("a", title="WeCreate NYC", timezone="America/New_York")
        net.add("b", title="The Cube", database_url=database_url)
        net.peer("a", "b")
        net.settle()
        twin(net, "a", "b", ours=Terms(1, 2, ("hot_desk",)))
        yield net


def _token(net: Network, person: str) -> str:
    member = add_member(net, "a", person)
    with net["a"].node.db.write() as session:
        token = passes.issue_pass(session, net["a"].node, member, net["b"].id).token
    net.settle()
    return token


def test_two_desks_cannot_both_admit_the_last_partner_day(net: Network) -> None:
    host = net["b"].node
    with host.db.write() as session:  # the month's first day: its row exists from now on
        assert desk.check_in(session, host, _token(net, "Cy Young")).admitted
    first_token, second_token = _token(net, "Ada Lovelace"), _token(net, "Bob Noyce")
    first, second = overlapping_writes(
        host.db,
        lambda session: desk.check_in(session, host, first_token),
        lambda session: desk.check_in(session, host, second_token),
    )
    assert isinstance(second, desk.CheckinResult), second
    results = {"first": first, "second": second}
    assert results["first"].admitted
    assert not results["second"].admitted and results["second"].reason == "partner-quota"
    assert results["second"].partner_days_used == 2
    with host.db.read() as session:
        assert session.scalar(select(func.count()).select_from(Visit)) == 2
        assert session.scalar(select(VisitMonth.days)) == 2


def test_the_months_figure_is_the_days_recorded(net: Network) -> None:
    token = _token(net, "Ada Lovelace")
    host = net["b"].node
    for _ in range(3):  # the same member on the same day counts once
        with host.db.write() as session:
            assert desk.check_in(session, host, token).admitted
    with host.db.write() as session:
        assert desk.check_in(session, host, _token(net, "Bob Noyce")).admitted
    with host.db.write() as session:
        assert desk.check_in(session, host, _token(net, "Cy Young")).reason == "partner-quota"
    with host.db.read() as session:
        months = list(session.execute(select(VisitMonth.month, VisitMonth.days)))
        days = list(session.scalars(select(Visit.day)))
        reports = list(
            session.execute(
                select(OutboxMessage.peer_id, OutboxMessage.url, OutboxMessage.message).where(
                    OutboxMessage.kind == "visit.report"
                )
            )
        )
    assert len(days) == 2 and months == [(days[0][:7], 2)]
    # Each day counted queued one report for a's node, written with it (on PostgreSQL the
    # day, the month and the report are one statement): none for the day counted again.
    assert sorted(message["member"] for _, _, message in reports) == sorted(
        {message["member"] for _, _, message in reports}
    )
    assert len(reports) == 2
    assert {(peer, url) for peer, url, _ in reports} == {(net["a"].id, "http://a.test")}
    assert {message["day"] for _, _, message in reports} == {days[0]}
