"""Visit receipts between two in-process spaces: a day counted at the host's desk reaches the
guest's home node through the durable outbox (queued while the home node is down), is counted
once however often it arrives, shows on the member's page, and is refused from a node that does
not host the home node's members."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from node.errors import NodeError
from node.models import Member, OutboxMessage
from node.twinning import desk, passes, receipts
from node.twinning.agreements import Terms
from node.twinning.member_links import member_link
from node.twinning.models import ReceivedVisit
from tests.network import Network, network
from tests.node.twin_support import add_member, twin
from tests.support import FakeClock


@pytest.fixture
def net(tmp_path: Path, clock: FakeClock) -> Iterator[Network]:
    """a's members visit b (2 days each a month); c peers with a but twins with nobody."""
    with network(tmp_path, clock) as net:
        net.add("a", title="WeCreate NYC", timezone="America/New_York")
        net.add("b", title="The Cube")
        net.add("c", title="Prato Hub")
        net.peer("a", "b")
        net.peer("a", "c")
        net.settle()
        net.agreement = twin(net, "a", "b", ours=Terms(2, 10, ("hot_desk",)))  # type: ignore[attr-defined]
        yield net


def _check_in(net: Network, member: int) -> desk.CheckinResult:
    with net["a"].node.db.write() as session:
        token = passes.issue_pass(session, net["a"].node, member, net["b"].id).token
    net.settle()
    with net["b"].node.db.write() as session:
        return desk.check_in(session, net["b"].node, token)


def _received(net: Network) -> list[tuple[int | None, str, str]]:
    with net["a"].node.db.read() as session:
        rows = session.scalars(select(ReceivedVisit).order_by(ReceivedVisit.id))
        return [(r.member_id, r.host_id, r.day) for r in rows]


def test_a_counted_day_reaches_the_home_node_once(net: Network) -> None:
    ada = add_member(net, "a")
    result = _check_in(net, ada)
    assert result.admitted
    with net["b"].node.db.read() as session:
        queued = session.scalars(
            select(OutboxMessage).where(OutboxMessage.kind == "visit.report")
        ).all()
    assert len(queued) == 1 and queued[0].peer_id == net["a"].id
    net.deliver()
    assert _received(net) == [(ada, net["b"].id, result.day.isoformat())]
    # Checked in again the same day: not counted again, nothing new reported.
    with net["a"].node.db.write() as session:
        token = passes.issue_pass(session, net["a"].node, ada, net["b"].id).token
    net.settle()
    with net["b"].node.db.write() as session:
        assert desk.check_in(session, net["b"].node, token).already_today
    net.deliver()
    assert len(_received(net)) == 1
    # The same report delivered twice (a retry after a lost answer) counts once.
    message = dict(queued[0].message)
    with net["a"].node.db.write() as session:
        again = receipts.receive_report(session, net["a"].node, net["b"].id, message)
    assert again["state"] == "known" and len(_received(net)) == 1


def test_a_report_waits_while_the_home_node_is_down(net: Network) -> None:
    ada = add_member(net, "a")
    with net["a"].node.db.write() as session:
        token = passes.issue_pass(session, net["a"].node, ada, net["b"].id).token
    net.settle()
    adapter = net.adapters.pop("http://a.test")  # the home node goes away
    with net["b"].node.db.write() as session:
        assert desk.check_in(session, net["b"].node, token).admitted  # offline at the desk
    net.deliver()
    assert _received(net) == []
    net.adapters["http://a.test"] = adapter
    net.clock.advance(3600)  # past the outbox's backoff
    net.deliver()
    assert [r[0] for r in _received(net)] == [ada]


def test_the_member_page_shows_the_days_used_there(net: Network) -> None:
    ada = add_member(net, "a")
    _check_in(net, ada)
    net.deliver()
    with net["a"].node.db.write() as session:
        path = member_link(session, net["a"].node, ada)
    page = net["a"].client.get(path).get_data(as_text=True)
    assert "(1 used there so far)" in page


def test_a_report_from_a_node_that_hosts_nobody_is_refused(net: Network) -> None:
    before = _received(net)
    message = {
        "type": "visit.report",
        "from": net["c"].id,
        "to": net["a"].id,
        "agreement": net.agreement,  # type: ignore[attr-defined]
        "member": "m-anything",
        "day": "2026-11-18",
        "jti": "AAAAAAAAAAAAAAAAAAAAAA",
    }
    with net["a"].node.db.write() as session, pytest.raises(NodeError) as refused:
        receipts.receive_report(session, net["a"].node, net["c"].id, message)
    assert refused.value.reason == "bad-peer-state"
    assert _received(net) == before


def test_reports_for_others_members_or_passes_are_refused(net: Network) -> None:
    ada = add_member(net, "a")
    with net["a"].node.db.write() as session:
        issued = passes.issue_pass(session, net["a"].node, ada, net["b"].id)
        pseudonym = session.get(Member, ada).pseudonym
    agreement = net.agreement  # type: ignore[attr-defined]
    cases = [
        ({"member": "m-nobody-here", "jti": issued.jti}, "unknown-member"),
        ({"member": pseudonym, "jti": "BBBBBBBBBBBBBBBBBBBBBB"}, "unknown-pass"),
    ]
    for fields, reason in cases:
        message = {"agreement": agreement, "day": "2026-11-18", **fields}
        with net["a"].node.db.write() as session, pytest.raises(NodeError) as refused:
            receipts.receive_report(session, net["a"].node, net["b"].id, message)
        assert refused.value.reason == reason
    # A pass issued for another partner is not one this host may report.
    with net["a"].node.db.write() as session, pytest.raises(NodeError) as refused:
        receipts.receive_report(
            session, net["a"].node, net["b"].id,
            {"agreement": agreement, "day": "2026-11-18", "member": pseudonym, "jti": "x" * 22},
        )  # fmt: skip
    assert refused.value.reason == "unknown-pass"
    assert _received(net) == []


def test_a_report_outside_the_passes_days_is_refused(net: Network) -> None:
    ada = add_member(net, "a")
    with net["a"].node.db.write() as session:
        issued = passes.issue_pass(session, net["a"].node, ada, net["b"].id)
        pseudonym = session.get(Member, ada).pseudonym
    for day in ("0001-01-01", "2099-12-31"):
        message = {"agreement": net.agreement, "member": pseudonym, "day": day,  # type: ignore[attr-defined]
                   "jti": issued.jti}  # fmt: skip
        with net["a"].node.db.write() as session, pytest.raises(NodeError) as refused:
            receipts.receive_report(session, net["a"].node, net["b"].id, message)
        assert refused.value.reason == "unknown-pass"
    assert _received(net) == []
