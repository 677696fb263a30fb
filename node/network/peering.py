"""Peering as an explicit state machine, plus the peer table's queries.

A peer row moves only through :data:`TRANSITIONS`; anything else is refused with a message that
names the state it is in, so the CLI, the admin pages and the inbox all obey the same rules.

States
    ``requested``  we sent a peering request and wait for their admin
    ``pending``    they sent us one and wait for ours
    ``active``     peered both ways: we sync from each other and exchange hints
    ``rejected``   a request was turned down (either side may ask again later)
    ``blocked``    an admin blocked the node (see :mod:`node.network.blocking`)

This module owns the active set: a transition into or out of ``active`` publishes the new peer
list (:func:`announce_peers`) through :mod:`node.services.publishing`. While the node may not
write its feed (peers hold more of it, protocol.md §Feeds, "Writing") the transition still
happens and the announcement waits: :func:`announce_if_changed`, run by the ``announce`` job and
after ``spazi feed recover``, publishes it once the feed is current, so blocking a node or
approving a peer never depends on the feed being writable. Nothing on the publishing
path may import this module back (the outbox reads the peer table itself), which
``tests/test_layering.py`` checks by refusing any import cycle.
"""

from __future__ import annotations

from datetime import datetime
from typing import Final

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from federation.bodies import MAX_ANNOUNCED_PEERS
from node import published
from node.errors import Conflict, NotFound
from node.feedcheck import writable
from node.messages import N_
from node.models import Peer
from node.runtime import Node
from node.services.publishing import publish

NEW: Final = "new"  # no row yet

# (state, event) -> next state
TRANSITIONS: Final[dict[tuple[str, str], str]] = {
    (NEW, "send_request"): "requested",
    ("rejected", "send_request"): "requested",
    (NEW, "receive_request"): "pending",
    ("rejected", "receive_request"): "pending",
    ("pending", "receive_request"): "pending",
    # Both admins asked each other: that is consent on both sides.
    ("requested", "receive_request"): "active",
    ("pending", "approve"): "active",
    ("pending", "reject"): "rejected",
    ("requested", "receive_accept"): "active",
    ("requested", "receive_reject"): "rejected",
    # An invite code is consent given in advance by the inviting admin.
    (NEW, "invite_used"): "active",
    ("requested", "invite_used"): "active",
    ("pending", "invite_used"): "active",
    ("rejected", "invite_used"): "active",
    (NEW, "join"): "active",
    ("requested", "join"): "active",
    ("pending", "join"): "active",
    ("rejected", "join"): "active",
    ("active", "join"): "active",
    ("active", "invite_used"): "active",
    ("active", "receive_request"): "active",
    ("active", "receive_accept"): "active",
}
for _state in (NEW, "requested", "pending", "active", "rejected"):
    TRANSITIONS[(_state, "block")] = "blocked"
TRANSITIONS[("blocked", "unblock")] = "rejected"


def next_state(state: str, event: str) -> str:
    """The state after ``event``, or :class:`Conflict` if the machine does not allow it."""
    try:
        return TRANSITIONS[(state, event)]
    except KeyError:
        raise Conflict(
            N_(
                "cannot %(value)s a peer that is %(state)s",
                value=event.replace("_", " "),
                state=state,
            ),
            reason="bad-peer-state",
        ) from None


def apply(
    session: Session,
    peer_id: str,
    event: str,
    now: datetime,
    *,
    url: str | None = None,
    name: str | None = None,
    node: Node | None = None,
) -> Peer:
    """Move ``peer_id`` through ``event`` (creating its row on the first event).

    With ``node`` given, a peer entering or leaving ``active`` makes the node publish its new
    peer list (``peer.announce``) in the same transaction, so the network learns addresses.
    """
    peer = session.get(Peer, peer_id)
    state = peer.state if peer is not None else NEW
    new_state = next_state(state, event)
    if peer is None:
        if url is None:
            raise NotFound(N_("no peer %(peer_id)s", peer_id=peer_id), reason="unknown-peer")
        peer = Peer(
            id=peer_id,
            url=url,
            name=name or "",
            state=new_state,
            created=now,
            state_changed=now,
            failures=0,
            lag=0,
        )
        session.add(peer)
    else:
        if new_state != peer.state:
            peer.state, peer.state_changed = new_state, now
        if url:
            peer.url = url
        if name:
            peer.name = name
    if new_state == "active" and peer.next_try is None:
        peer.next_try = now  # sync at once
    session.flush()
    if (
        node is not None
        and (state == "active") != (new_state == "active")
        and writable(session, node)
    ):
        announce_peers(session, node)
    return peer


def _announcement(session: Session, node: Node) -> list[dict[str, str]]:
    """Our own address and our active peers' (ids and URLs), as ``peer.announce`` lists them."""
    # A node set up without its public URL has no address of its own to give.
    listed = [{"id": node.node_id, "url": node.url}] if node.url else []
    listed += [{"id": p.id, "url": p.url} for p in active_peers(session) if p.id != node.node_id]
    # Beyond the entry's limit the rest go unannounced; the network still learns them from
    # those peers' own announcements.
    return listed[:MAX_ANNOUNCED_PEERS]


def announce_peers(session: Session, node: Node) -> None:
    """Publish our own address and our active peers', so others can find the whole network
    and link to us at the address we signed ourselves."""
    publish(session, node, "peer.announce", {"peers": _announcement(session, node)})


def announcement_stale(session: Session, node: Node) -> bool:
    """Whether our active peers differ from our latest ``peer.announce`` (a read). A node with
    no peers and no announcement yet has nothing to say."""
    listed = _announcement(session, node)
    last = [dict(item) for item in published.announced_peers(session, node.node_id)]
    if listed == last:
        return False
    return bool(last) or any(item["id"] != node.node_id for item in listed)


def announce_if_changed(session: Session, node: Node) -> bool:
    """Publish the peer list if :func:`announcement_stale` and our feed may be written now;
    True when it published."""
    if not announcement_stale(session, node) or not writable(session, node):
        return False
    announce_peers(session, node)
    return True


def get_peer(session: Session, peer_id: str) -> Peer:
    """The peer row of ``peer_id``, or :class:`NotFound`."""
    peer = session.get(Peer, peer_id)
    if peer is None:
        raise NotFound(N_("no peer %(peer_id)s", peer_id=peer_id), reason="unknown-peer")
    return peer


def active_peers(session: Session) -> list[Peer]:
    """Peers we sync and exchange hints with, by id."""
    return list(session.scalars(select(Peer).where(Peer.state == "active").order_by(Peer.id)))


def all_peers(session: Session) -> list[Peer]:
    """Every peer row, grouped by state."""
    return list(session.scalars(select(Peer).order_by(Peer.state, Peer.id)))


def pending_requests(session: Session, offset: int = 0, limit: int | None = None) -> list[Peer]:
    """Peering requests waiting for our admin, oldest first (a page of them with ``limit``)."""
    query = select(Peer).where(Peer.state == "pending").order_by(Peer.state_changed, Peer.id)
    return list(session.scalars(query.offset(offset).limit(limit)))


def count_pending(session: Session) -> int:
    """How many peering requests wait for our admin."""
    count = session.scalar(select(func.count()).select_from(Peer).where(Peer.state == "pending"))
    return int(count or 0)
