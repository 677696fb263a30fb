"""Push hints travel on: a node storing new entries of a feed it relays hints its other peers."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from node.models import Event, OutboxMessage
from node.network.syncing import sync_due
from tests.network import Network, network
from tests.support import FakeClock

EVENT = {"title": "Open day", "start": "2026-12-05T10:00", "end": "2026-12-05T16:00"}


def _pending_hints(net: Network, name: str) -> dict[str, dict]:
    """Unsent heads.changed messages in ``name``'s outbox, by receiving peer id."""
    with net[name].node.db.read() as session:
        rows = session.scalars(
            select(OutboxMessage).where(
                OutboxMessage.kind == "heads.changed", OutboxMessage.done.is_(False)
            )
        )
        return {row.peer_id: row.message for row in rows}


def _holds(net: Network, name: str, origin: str, event_id: str) -> bool:
    with net[name].node.db.read() as session:
        return session.get(Event, (origin, event_id)) is not None


def test_a_hint_crosses_a_chain_without_periodic_pulls(tmp_path: Path, clock: FakeClock) -> None:
    with network(tmp_path, clock) as net:
        for name in "abcd":
            net.add(name)
        net.peer("a", "b")
        net.peer("b", "c")
        net.peer("c", "d")
        net.settle()
        clock.advance(1)  # nobody is due for a periodic pull for another minute
        answer = net["a"].client.post("/api/v1/events", json=EVENT, headers=net["a"].auth())
        event_id = answer.get_json()["id"]
        origin = net["a"].id
        for before, after in (("a", "b"), ("b", "c"), ("c", "d")):
            assert set(_pending_hints(net, before)) == {net[after].id}, before
            net.deliver()
            # Only the hint makes the next node due: without it this pull would store nothing.
            assert sync_due(net[after].node).stored == 1, after
            assert _holds(net, after, origin, event_id)
        assert _pending_hints(net, "d") == {}  # d has no peer but the one it pulled from


def test_relays_skip_the_source_and_quiet_rounds_send_nothing(
    tmp_path: Path, clock: FakeClock
) -> None:
    with network(tmp_path, clock) as net:
        for name in "abc":
            net.add(name)
        net.peer("a", "b")
        net.peer("b", "c")
        net.settle()
        clock.advance(1)
        net["a"].client.post("/api/v1/events", json=EVENT, headers=net["a"].auth())
        net.deliver()
        assert sync_due(net["b"].node).stored == 1
        hints = _pending_hints(net, "b")
        assert set(hints) == {net["c"].id}  # not back to a, the source (and author)
        with net["b"].node.db.read() as session:
            from node.feedstore import head

            ours = head(session, net["a"].id)
        assert hints[net["c"].id]["heads"] == {net["a"].id: {"seq": ours.seq, "hash": ours.hash}}
        net.deliver()
        # A forced round that finds nothing new queues nothing.
        assert sync_due(net["b"].node, force=True).stored == 0
        assert _pending_hints(net, "b") == {}


def test_a_hint_that_arrives_during_a_round_makes_the_next_round_come_at_once(
    tmp_path: Path, clock: FakeClock
) -> None:
    """A round that began before the news must not push the hint back a whole interval."""
    from node.clock import aware
    from node.models import Peer
    from node.network.inbox_handlers import heads_changed
    from node.network.syncing import sync_peer
    from node.network.transport import peer_client

    with network(tmp_path, clock) as net:
        net.add("a")
        net.add("b")
        net.peer("a", "b")
        net.settle()
        assert (
            net["a"].client.post("/api/v1/events", json=EVENT, headers=net["a"].auth()).status_code
            == 201
        )
        b = net["b"].node

        def hint_arrives(*_: object) -> None:  # called inside the round, per stored page
            clock.advance(1)
            with b.db.write() as session:
                heads_changed(session, b, {"type": "heads.changed", "from": net["a"].id})

        with b.db.read() as session:
            peer = session.get(Peer, net["a"].id)
        client = peer_client(b)
        try:
            report, _ = sync_peer(b, client, peer, hint_arrives)
        finally:
            client.close()
        assert report.total_stored == 1
        clock.advance(1)
        with b.db.read() as session:
            row = session.get(Peer, net["a"].id)
            assert row.next_try is not None and aware(row.next_try) <= b.now()
        # …and a round with no hint waits the interval, as before.
        client = peer_client(b)
        try:
            sync_peer(b, client, row, None)
        finally:
            client.close()
        with b.db.read() as session:
            row = session.get(Peer, net["a"].id)
            assert aware(row.next_try) > b.now()
