"""Muting: hiding an origin, or every origin a peer introduced, from the network views.

A hostile relay can introduce many new origins (fake spaces with spam events); blocking each
would be slow and blocking the relay would cut what it serves honestly. Muting is local
presentation only: ``node.published.hidden_origins`` leaves muted origins out of ``/network``,
``/network/events``, its calendar and ``spazi network spaces|events``, while their feeds are
still synced, stored and relayed to our peers, since what a feed means is the same for every
node (protocol.md §Published state) and other admins decide for themselves. Blocking
(``node.network.blocking``) is the strong measure: no sync, nothing relayed, the mirror dropped.

A mute of a relay (scope "relayed-by") is a rule, not a list: an origin the peer introduces
later (``Origin.relayed_by``) is hidden as soon as it arrives. The peer's own feed is not one of
the origins it introduced; mute it as an origin too when wanted.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from federation.keys import fingerprint, is_node_id
from node import formats, published
from node.errors import Conflict, InvalidInput, NotFound
from node.messages import N_
from node.models import Mute, Origin, Peer
from node.runtime import Node

ORIGIN = "origin"
RELAYED_BY = "relayed-by"


def _scope(relayed_by: bool) -> str:
    return RELAYED_BY if relayed_by else ORIGIN


def _check(session: Session, node: Node, node_id: str, relayed_by: bool) -> None:
    if not is_node_id(node_id):
        raise InvalidInput(
            N_("%(node_id)r is not a node id (did:key:z6Mk…)", node_id=node_id),
            reason="bad-node-id",
        )
    if node_id == node.node_id:
        raise Conflict(N_("a node cannot mute itself"), reason="self-mute")
    if relayed_by and session.get(Peer, node_id) is None:
        introduced = select(Origin.id).where(Origin.relayed_by == node_id).limit(1)
        if session.scalar(introduced) is None:
            raise NotFound(
                N_(
                    "%(node_id)s is not a peer and introduced no origin here; see spazi peer list "
                    "for the peers' node ids",
                    node_id=node_id,
                ),
                reason="not-a-relay",
            )


def introduced_by(session: Session, peer_id: str) -> list[str]:
    """Origins first relayed to us by ``peer_id`` (its own feed aside), by id."""
    query = select(Origin.id).where(Origin.relayed_by == peer_id, Origin.id != peer_id)
    return list(session.scalars(query.order_by(Origin.id)))


def mute(session: Session, node: Node, node_id: str, relayed_by: bool = False) -> bool:
    """Mute the origin ``node_id``, or with ``relayed_by`` every origin the peer ``node_id``
    introduced (now and later). Returns False when that mute was already in place."""
    _check(session, node, node_id, relayed_by)
    if session.get(Mute, (node_id, _scope(relayed_by))) is not None:
        return False
    session.add(Mute(node_id=node_id, scope=_scope(relayed_by), created=node.now()))
    session.flush()
    return True


def unmute(session: Session, node: Node, node_id: str, relayed_by: bool = False) -> None:
    """Undo :func:`mute` (an origin also hidden another way, say by a muted relay, stays
    hidden)."""
    row = session.get(Mute, (node_id, _scope(relayed_by)))
    if row is None:
        what = f"the origins relayed by {node_id} are" if relayed_by else f"{node_id} is"
        raise NotFound(
            N_("%(what)s not muted; see spazi network muted", what=what), reason="not-muted"
        )
    session.delete(row)
    session.flush()


def label(session: Session, peer_id: str) -> str:
    """A node as people know it: its peer name or space name, else its fingerprint."""
    peer = session.get(Peer, peer_id)
    if peer is not None and peer.name:
        return peer.name
    name = published.space_names(session, [peer_id]).get(peer_id)
    return name or (fingerprint(peer_id) if is_node_id(peer_id) else peer_id)


def muted_rows(session: Session, node: Node) -> list[dict[str, Any]]:
    """The mutes in place, one row each, with what they hide: for ``spazi network muted`` and
    the admin page. Each row has the muted ``node_id``, its ``scope``, a ``label`` and
    ``origins``, the origins it hides (with ``origin``, ``name``, ``fingerprint``)."""
    rows = []
    mutes = session.scalars(select(Mute).order_by(Mute.created, Mute.node_id, Mute.scope))
    for row in mutes:
        ids = introduced_by(session, row.node_id) if row.scope == RELAYED_BY else [row.node_id]
        names = published.space_names(session, ids)
        rows.append(
            {
                "node_id": row.node_id,
                "scope": row.scope,
                "label": label(session, row.node_id),
                "since": formats.ago(row.created, node.now()),
                "origins": [
                    {"origin": o, "name": names.get(o, ""), "fingerprint": fingerprint(o)}
                    for o in ids
                ],
            }
        )
    return rows


# An origin's status on the admin page, in the page's language.
ORIGIN_STATUS_LABELS = {
    "active": N_("active"),
    "quarantined": N_("quarantined"),
    "blocked": N_("blocked"),
}


def origin_rows(
    session: Session, node: Node, ago: formats.Ago = formats.ago
) -> list[dict[str, Any]]:
    """Every origin we hold but our own, with the peer that introduced it and whether it is
    muted (and how), by name: the admin page's list of origins (``ago`` in its language)."""
    hidden = published.hidden_origins(session)
    mutes = {(m.node_id, m.scope) for m in session.scalars(select(Mute))}
    origins = list(session.scalars(select(Origin).where(Origin.is_self.is_(False))))
    names = published.space_names(session, [origin.id for origin in origins])
    peers = set(session.scalars(select(Peer.id)))
    rows = []
    for origin in origins:
        relay = origin.relayed_by
        direct = relay is None or relay == origin.id
        muted = ""
        if (origin.id, ORIGIN) in mutes:
            muted = N_("muted")
        elif not direct and (relay, RELAYED_BY) in mutes:
            muted = N_("muted with its relay")
        rows.append(
            {
                "origin": origin.id,
                "name": names.get(origin.id, ""),
                "fingerprint": fingerprint(origin.id),
                "status": origin.status,
                "status_label": ORIGIN_STATUS_LABELS.get(origin.status, origin.status),
                "is_peer": origin.id in peers,
                "relayed_by": "" if direct else relay,
                "introduced_by": "" if direct else label(session, relay or ""),
                "muted": muted,
                "hidden": origin.id in hidden,
                "first_seen": ago(origin.first_seen, node.now()),
            }
        )
    rows.sort(key=lambda r: (str(r["name"]).lower() or "\uffff", str(r["origin"])))
    return rows
