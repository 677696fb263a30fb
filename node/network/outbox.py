"""The durable outbox: inbox messages to peers, delivered with retries and backoff.

Messages are rows written in the same transaction as whatever caused them (a feed append queues
"heads changed" hints), so a crash never loses one. :func:`drain` sends what is due; tests call it
directly and the scheduler job only calls it.
"""

from __future__ import annotations

import random
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from federation.backoff import next_delay
from federation.entries import Entry
from federation.errors import ProtocolError
from federation.feeds import Head
from federation.transport.client import PeerClient
from federation.version import V1
from node.clock import aware
from node.models import Block, OutboxMessage, Peer, SeenSignature
from node.network.transport import peer_client, signer
from node.runtime import Node

# A push hint is worth little after a day of failures (the periodic pull catches up anyway), so
# it is dropped after MAX_TRIES; types whose record says keep_trying (peering accept, reject) are
# retried at the capped interval until they arrive, or a peering would stay half done.
MAX_TRIES = 12
BASE_MS = 2_000
CAP_MS = 60 * 60 * 1000
_rng = random.SystemRandom()


def enqueue(session: Session, node: Node, peer: Peer, kind: str, extra: dict[str, Any]) -> None:
    """Queue a message for ``peer``; a newer one of a type that coalesces (heads.changed)
    replaces an unsent older one."""
    enqueue_to(session, node, peer.id, peer.url, kind, extra)


def enqueue_to(
    session: Session, node: Node, node_id: str, url: str, kind: str, extra: dict[str, Any]
) -> None:
    """Queue a message for the node ``node_id`` at ``url``, peer or not (an agreement can be
    proposed to a space known only through gossip, protocol.md §Inbox)."""
    message = {"type": kind, "from": node.node_id, "to": node_id, **extra}
    if V1.message_types[kind].coalesce:
        waiting = session.scalar(
            select(OutboxMessage).where(
                OutboxMessage.peer_id == node_id,
                OutboxMessage.kind == kind,
                OutboxMessage.done.is_(False),
            )
        )
        if waiting is not None:
            waiting.message = message
            return
    session.add(OutboxMessage(**message_row(node, node_id, url, kind, extra)))


def message_row(
    node: Node, node_id: str, url: str, kind: str, extra: dict[str, Any]
) -> dict[str, Any]:
    """The outbox row of a new message (its columns' values) for a writer that inserts it
    itself (the front desk, in one statement with the day it reports). Only for types that do
    not coalesce: those go through :func:`enqueue_to`."""
    message = {"type": kind, "from": node.node_id, "to": node_id, **extra}
    now = node.now()
    return {
        "peer_id": node_id,
        "url": url,
        "kind": kind,
        "message": message,
        "created": now,
        "tries": 0,
        "next_try": now,
        "done": False,
    }


def queue_heads_hint(session: Session, node: Node, entry: Entry) -> None:
    """After an own-feed append: tell every active peer our head moved (same transaction)."""
    queue_heads_changed(session, node, {entry.origin: Head(entry.seq, entry.hash)})


def queue_heads_changed(
    session: Session, node: Node, heads: Mapping[str, Head], skip: Collection[str] = ()
) -> None:
    """Tell active peers that feeds we serve moved, except the peers in ``skip`` and a peer the
    news is only about its own feed (it is the author)."""
    hint = {"heads": {o: {"seq": h.seq, "hash": h.hash} for o, h in sorted(heads.items())}}
    # The peer table is read here rather than through node.network.peering: peering publishes
    # through this module, so importing it back would close a cycle.
    for peer in session.scalars(select(Peer).where(Peer.state == "active").order_by(Peer.id)):
        if peer.id in skip or heads.keys() == {peer.id}:
            continue
        enqueue(session, node, peer, "heads.changed", hint)


@dataclass
class DrainReport:
    sent: int = 0
    failed: int = 0
    gave_up: int = 0
    errors: list[str] = field(default_factory=list)


def drain(node: Node, client: PeerClient | None = None, limit: int = 100) -> DrainReport:
    """Send every due message once; failures are rescheduled with jittered exponential backoff."""
    report = DrainReport()
    owned = client is None
    client = client or peer_client(node)
    try:
        with node.db.read() as session:
            due = list(
                session.scalars(
                    select(OutboxMessage)
                    # Nothing goes to a blocked node, whatever was queued before.
                    .where(OutboxMessage.peer_id.not_in(select(Block.node_id)))
                    .where(OutboxMessage.done.is_(False), OutboxMessage.next_try <= node.now())
                    .order_by(OutboxMessage.next_try, OutboxMessage.id)
                    .limit(limit)
                )
            )
        sign = signer(node)
        for row in due:
            error: str | None = None
            try:
                client.post_inbox(row.url, row.message, sign)
            except ProtocolError as exc:
                error = f"{exc.reason}: {exc.detail}"[:500]
            with node.db.write() as session:
                current = session.get(OutboxMessage, row.id)
                if current is None or current.done:
                    continue
                if error is None:
                    current.done = True
                    report.sent += 1
                    continue
                current.tries += 1
                current.last_error = error
                report.errors.append(f"{row.kind} to {row.peer_id}: {error}")
                if current.tries >= MAX_TRIES and not _keeps_trying(current.kind):
                    current.done = True  # kept as a record of what never arrived
                    report.gave_up += 1
                else:
                    delay = next_delay(current.tries, BASE_MS, CAP_MS, _rng)
                    current.next_try = aware(node.now()) + timedelta(milliseconds=delay)
                    report.failed += 1
    finally:
        if owned:
            client.close()
    return report


def _keeps_trying(kind: str) -> bool:
    known = V1.message_types.get(kind)
    return known is not None and known.keep_trying


def prune(session: Session, node: Node) -> None:
    """Forget delivered messages after a week and replay-window signatures once expired."""
    week_ago = node.now() - timedelta(days=7)
    session.execute(
        delete(OutboxMessage).where(OutboxMessage.done.is_(True), OutboxMessage.created < week_ago)
    )
    session.execute(delete(SeenSignature).where(SeenSignature.expires < int(node.clock())))
