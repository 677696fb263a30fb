"""The outbox follows each message type's delivery policy (federation.messages)."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from node.models import OutboxMessage, Peer
from node.network.outbox import MAX_TRIES, drain, enqueue
from tests.network import network
from tests.support import FakeClock

HASH = "ab" * 32


def test_coalescing_and_keep_trying_come_from_the_type(tmp_path: Path, clock: FakeClock) -> None:
    with network(tmp_path, clock) as net:
        net.add("a")
        net.add("b")
        net.peer("a", "b")
        net.deliver()
        sender = net["a"].node
        with sender.db.write() as session:
            peer = session.get(Peer, net["b"].id)
            assert peer is not None
            for seq in (1, 2):
                heads = {"heads": {net["a"].id: {"seq": seq, "hash": HASH}}}
                enqueue(session, sender, peer, "heads.changed", heads)
                enqueue(session, sender, peer, "peer.accept", {})
        with sender.db.read() as session:
            rows = list(session.scalars(select(OutboxMessage).where(OutboxMessage.done.is_(False))))
        hints = [r for r in rows if r.kind == "heads.changed"]
        assert len(hints) == 1  # heads.changed coalesces: the newer replaced the older
        assert hints[0].message["heads"][net["a"].id]["seq"] == 2
        assert sum(r.kind == "peer.accept" for r in rows) == 2  # peer.accept does not
        net.adapters["http://b.test"].down = True
        for _ in range(MAX_TRIES):
            drain(sender)
            clock.advance(2 * 3600)
        with sender.db.read() as session:
            left = {
                r.kind: r.done
                for r in session.scalars(select(OutboxMessage).where(OutboxMessage.tries > 0))
            }
        # A hint is given up after MAX_TRIES; peer.accept keeps trying (keep_trying).
        assert left == {"heads.changed": True, "peer.accept": False}
