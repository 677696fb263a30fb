"""Twinning agreements across in-process spaces: propose, accept or reject through the real
inbox and outbox, published by both parties, seen by a third node, terminated; and the inbox
refusals that must change nothing."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from federation.agreements import countersign, grant, propose
from federation.keyring import Keyring
from federation.keys import NodeKey
from node import published
from node.errors import Conflict, InvalidInput, NotFound
from node.models import OutboxMessage
from node.network import blocking
from node.twinning import agreements, lifecycle
from node.twinning.agreements import Terms
from node.twinning.models import Agreement
from tests.network import Network, network
from tests.node.twin_support import propose as propose_between
from tests.node.twin_support import state, twin
from tests.support import FakeClock


@pytest.fixture
def net(tmp_path: Path, clock: FakeClock) -> Iterator[Network]:
    with network(tmp_path, clock) as net:
        net.add("a", title="WeCreate NYC", timezone="America/New_York")
        net.add("b", title="The Cube")
        net.add("c", title="Prato Hub", timezone="Europe/Rome")
        net.peer("a", "b")
        net.peer("b", "c")
        net.settle()
        yield net


def _count(net: Network, name: str) -> int:
    with net[name].node.db.read() as session:
        return int(session.scalar(select(func.count()).select_from(Agreement)) or 0)


def test_a_proposal_accepted_is_published_by_both_and_seen_across_the_network(
    net: Network,
) -> None:
    agreement = propose_between(
        net,
        "a",
        "b",
        ours=Terms(2, 40, ("hot_desk", "meeting_room")),
        theirs=Terms(3, 60, ("hot_desk",)),
    )
    assert state(net, "a", agreement) == "proposed"
    net.deliver()
    assert state(net, "b", agreement) == "awaiting"
    with net["b"].node.db.read() as session:
        view = agreements.view(session, net["b"].node, agreements.get(session, agreement[:10]))
    # b reads the terms from its own side: what it gives is what a asked it to give.
    assert view.we_give == Terms(3, 60, ("hot_desk",))
    assert view.they_give == Terms(2, 40, ("hot_desk", "meeting_room"))
    assert view.partner_name == "WeCreate NYC"
    with net["b"].node.db.write() as session:
        agreements.accept(session, net["b"].node, agreement)
    net.settle()
    assert state(net, "a", agreement) == state(net, "b", agreement) == "active"
    # c mirrors both feeds through b: the agreement stands there too, signed by both.
    with net["c"].node.db.read() as session:
        standing = published.agreements(session)[agreement]
    assert standing.in_force and set(standing.published_by) == {net["a"].id, net["b"].id}
    # The space page lists the partner, /network shows the pair.
    page = net["b"].client.get("/").get_data(as_text=True)
    assert "Members of <strong>WeCreate NYC</strong>: 3 days a month" in page
    assert "The Cube ⇄ WeCreate NYC" in net["c"].client.get("/network").get_data(as_text=True)


def test_a_rejected_proposal_tells_the_proposer(net: Network) -> None:
    agreement = propose_between(net, "a", "b")
    net.deliver()
    with net["b"].node.db.write() as session:
        agreements.reject(session, net["b"].node, agreement, "Closed for works until March.")
    net.deliver()
    assert state(net, "a", agreement) == state(net, "b", agreement) == "rejected"
    with net["a"].node.db.read() as session:
        assert agreements.get(session, agreement).reason == "Closed for works until March."
    with pytest.raises(Conflict, match="rejected"), net["b"].node.db.write() as session:
        agreements.accept(session, net["b"].node, agreement)


def test_a_proposal_waits_in_the_outbox_while_the_partner_is_down(net: Network) -> None:
    agreement = propose_between(net, "a", "b")
    adapter = net.adapters.pop("http://b.test")  # b is unreachable
    try:
        assert net.deliver() == 0
        assert _count(net, "b") == 0
    finally:
        net.adapters["http://b.test"] = adapter
    net.clock.advance(3600)
    net.deliver()
    assert state(net, "b", agreement) == "awaiting"


def test_a_space_known_only_through_gossip_can_be_proposed_to(net: Network) -> None:
    """a and c are not peers; c's address reached a through b's announcements."""
    agreement = twin(net, "a", "c")
    assert state(net, "a", agreement) == state(net, "c", agreement) == "active"


def test_terminating_ends_it_everywhere(net: Network) -> None:
    agreement = twin(net, "a", "b")
    with net["a"].node.db.write() as session:
        agreements.terminate(session, net["a"].node, agreement, reason="Moving out")
    net.settle()
    assert state(net, "a", agreement) == state(net, "b", agreement) == "terminated"
    with net["c"].node.db.read() as session:
        assert not published.agreements(session)[agreement].in_force


def test_a_termination_at_a_later_date_is_published_after_that_day(net: Network) -> None:
    agreement = twin(net, "a", "b")
    with net["a"].node.db.write() as session:
        agreements.terminate(session, net["a"].node, agreement, effective="2026-11-20")
    assert state(net, "a", agreement) == "active"
    with net["a"].node.db.write() as session:
        assert agreements.end_due(session, net["a"].node) == 0
    net.clock.advance(3 * 86400)  # 2026-11-21 in New York
    with net["a"].node.db.write() as session:
        assert agreements.end_due(session, net["a"].node) == 1
    net.settle()
    assert state(net, "b", agreement) == "terminated"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"per_member": 0}, "days per member"),
        ({"total": 100_001}, "total days"),
        ({"per_member": 5, "total": 2}, "more than the total"),
    ],
)
def test_bad_terms_are_refused_before_anything_is_queued(
    net: Network, change: dict, message: str
) -> None:
    terms = {"per_member": 2, "total": 10, **change}
    with pytest.raises(InvalidInput, match=message):
        propose_between(
            net, "a", "b", ours=Terms(terms["per_member"], terms["total"], ("hot_desk",))
        )
    with net["a"].node.db.read() as session:
        assert (
            session.scalar(
                select(func.count())
                .select_from(OutboxMessage)
                .where(OutboxMessage.kind == "agreement.propose")
            )
            == 0
        )
    assert _count(net, "a") == 0


def test_bad_dates_and_partners_are_refused(net: Network) -> None:
    for dates, message in (
        ({"valid_from": "2026-12-01", "valid_until": "2026-12-01"}, "must end after"),
        ({"valid_from": "2026-01-01", "valid_until": "2026-02-01"}, "passed"),
        ({"valid_from": "yesterday"}, "is not a day"),
    ):
        with pytest.raises(InvalidInput, match=message):
            propose_between(net, "a", "b", **dates)
    with pytest.raises(NotFound), net["a"].node.db.write() as session:
        agreements.propose(
            session,
            net["a"].node,
            "Nowhere Hub",
            Terms(1, 1, ("hot_desk",)),
            Terms(1, 1, ("hot_desk",)),
            "2026-12-01",
            "2027-01-01",
        )
    with pytest.raises(InvalidInput, match="resource kind"):
        agreements.parse_kinds("hot_desk,sauna")
    assert _count(net, "a") == 0


# -- the inbox, refusing what it must -------------------------------------------------------------


def _doc(net: Network, proposer: str, partner: str, key: NodeKey | None = None) -> dict:
    me, them = net[proposer].id, net[partner].id
    grants = [grant(me, them, 2, 10, ["hot_desk"]), grant(them, me, 2, 10, ["hot_desk"])]
    return propose(
        key or net[proposer].node.key,
        them,
        grants,
        "2026-12-01",
        "2027-12-01",
        net[proposer].node.now_ms(),
        node_id=me,
    )


def test_inbox_refuses_a_forged_or_malformed_proposal_and_keeps_nothing(net: Network) -> None:
    from node.twinning.handlers import agreement_accept, agreement_propose

    b = net["b"].node
    forged = _doc(net, "a", "b", key=NodeKey.generate())  # not a's key
    bad_terms = _doc(net, "a", "b")
    bad_terms["grants"][0]["days_per_member_month"] = 40
    not_ours = _doc(net, "a", "c")
    cases = [(forged, "bad-signature"), (bad_terms, "bad-terms"), (not_ours, "not-a-party")]
    for doc, reason in cases:
        with pytest.raises(Conflict) as refused, b.db.write() as session:
            agreement_propose(
                session,
                b,
                {
                    "type": "agreement.propose",
                    "from": net["a"].id,
                    "to": net["b"].id,
                    "agreement": doc,
                },
            )
        assert refused.value.reason == reason
    # An accept for an agreement never proposed.
    signed = countersign(
        b.key,
        _doc(net, "a", "b"),
        Keyring(),
        node_id=net["b"].id,
    )
    with pytest.raises(Conflict) as refused, net["a"].node.db.write() as session:
        agreement_accept(
            session,
            net["a"].node,
            {
                "type": "agreement.accept",
                "from": net["b"].id,
                "to": net["a"].id,
                "agreement": signed,
            },
        )
    assert refused.value.reason == "bad-peer-state"
    assert _count(net, "a") == _count(net, "b") == 0


def test_a_proposal_delivered_twice_is_kept_once(net: Network) -> None:
    from node.twinning.handlers import agreement_propose

    b = net["b"].node
    doc = _doc(net, "a", "b")
    message = {
        "type": "agreement.propose",
        "from": net["a"].id,
        "to": net["b"].id,
        "agreement": doc,
    }
    for _ in range(2):
        with b.db.write() as session:
            agreement_propose(session, b, message)
    assert _count(net, "b") == 1


def test_a_proposal_from_a_blocked_node_is_refused_over_http(net: Network) -> None:
    with net["b"].node.db.write() as session:
        blocking.block(session, net["b"].node, net["a"].id, "spam")
    propose_between(net, "a", "b")
    net.deliver()
    assert _count(net, "b") == 0
    with net["a"].node.db.read() as session:
        waiting = session.scalar(
            select(OutboxMessage).where(OutboxMessage.kind == "agreement.propose")
        )
        assert waiting is not None and not waiting.done and "blocked" in (waiting.last_error or "")


def test_the_state_table_refuses_what_it_does_not_list() -> None:
    assert lifecycle.next_state("awaiting", "accept") == "active"
    for state_, event in (
        ("proposed", "accept"),
        ("rejected", "terminate"),
        ("active", "accept"),
        ("terminated", "receive_accept"),
    ):
        with pytest.raises(Conflict):
            lifecycle.next_state(state_, event)


def test_the_scheduled_job_publishes_a_due_termination(net: Network) -> None:
    from node.twinning.jobs import end_agreements_job

    agreement = twin(net, "a", "b")
    with net["b"].node.db.write() as session:
        agreements.terminate(session, net["b"].node, agreement, effective="2026-11-18")
    end_agreements_job(net["b"].node)
    assert state(net, "b", agreement) == "active"  # still in force on its last day
    net.clock.advance(86400)
    end_agreements_job(net["b"].node)
    net.settle()
    assert state(net, "a", agreement) == state(net, "b", agreement) == "terminated"
