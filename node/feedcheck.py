"""Whether this node may append to its own feed: the stored verdict of the own-feed check.

A node restored from an older backup holds fewer entries of its own feed than its peers do; its
next entry would be signed at a seq peers already hold, a fork that gets it quarantined for good
(protocol.md §Feeds, "Writing"; §Fork proofs). The network side (``node.network.recovery``) asks
peers for their heads of our feed and records what they proved they hold here; every publishing
path calls :func:`require_current` in its transaction and refuses while a peer holds more.

The verdict is a database row so that every worker process and the CLI agree; a process that
started a check of its own also refuses while that check runs (``Node.own_check_pending``).
Only positive evidence refuses: no peers, or peers that cannot be reached, leave writing open.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from node.errors import NodeError
from node.feedstore import head
from node.messages import N_
from node.models import ForkProof, OwnFeedCheck
from node.runtime import Node


class FeedBehind(NodeError):
    """A peer holds entries of our own feed that this database lacks."""

    status = 409
    reason = "feed-behind-peers"
    title = "Own feed is behind peers"


class FeedCheckPending(NodeError):
    """The start-up check of our peers' heads has not finished in this process yet."""

    status = 503
    reason = "feed-check-pending"
    title = "Checking peers first"


@dataclass(frozen=True)
class Behind:
    """Our head and the highest seq of our feed a peer proved it holds."""

    ours: int
    theirs: int
    peer_id: str | None

    @property
    def message(self) -> str:
        """What to tell an admin, ending with what to do."""
        return N_(
            "peers hold this node's own feed up to seq %(theirs)s, but its database only up "
            "to seq %(ours)s (was an older backup restored?); writing now would sign a seq "
            "peers already hold and get this node quarantined: run `spazi feed recover` first",
            theirs=self.theirs,
            ours=self.ours,
        )


def behind(session: Session, node_id: str) -> Behind | None:
    """The stored evidence that peers hold more of our feed than we do, or None."""
    row = session.get(OwnFeedCheck, node_id)
    if row is None:
        return None
    ours = head(session, node_id).seq
    if row.peer_seq <= ours:
        return None  # recovered (or the evidence was never beyond us)
    return Behind(ours, row.peer_seq, row.peer_id)


def record_ahead(
    session: Session, node_id: str, peer_id: str, peer_seq: int, now: datetime
) -> None:
    """Store that ``peer_id`` proved it holds our feed up to ``peer_seq`` (keeps the highest)."""
    row = session.get(OwnFeedCheck, node_id)
    if row is None:
        session.add(OwnFeedCheck(origin=node_id, peer_id=peer_id, peer_seq=peer_seq, checked=now))
        return
    if peer_seq >= row.peer_seq:
        row.peer_id, row.peer_seq = peer_id, peer_seq
    row.checked = now


def record_checked(session: Session, node_id: str, reached: set[str], now: datetime) -> None:
    """A check found no peer ahead of us among ``reached``.

    The stored evidence is dropped only when the peer that gave it was reached and no longer
    holds more (it was restored too, say); a peer that is merely down keeps it standing.
    """
    row = session.get(OwnFeedCheck, node_id)
    if row is None:
        return  # no evidence to clear: a check that found nothing writes nothing
    if row.peer_id is None or row.peer_id in reached or row.peer_seq <= head(session, node_id).seq:
        row.peer_id, row.peer_seq = None, 0
    row.checked = now


def writable(session: Session, node: Node) -> bool:
    """Whether :func:`require_current` would let us append to our own feed now."""
    pending = node.own_check_pending
    if pending is not None and not pending.is_set():
        return False
    return behind(session, node.node_id) is None


def require_current(session: Session, node: Node) -> None:
    """Refuse to append to our own feed while peers hold more of it, or while this process's
    start-up check of their heads is still running (protocol.md §Feeds, "Writing")."""
    pending = node.own_check_pending
    if pending is not None and not pending.is_set():
        raise FeedCheckPending(
            N_(
                "the node is asking its peers whether they hold newer entries of its own feed "
                "(it does so after every start); try again in a few seconds"
            )
        )
    found = behind(session, node.node_id)
    if found is not None:
        raise FeedBehind(found.message, peer_seq=found.theirs, head_seq=found.ours)


@dataclass(frozen=True)
class OwnFork:
    """A fork proof some peer served against our own node id."""

    seq: int
    found: datetime

    @property
    def message(self) -> str:
        """What to tell an admin, ending with where to read more."""
        return N_(
            "peers hold proof that this node signed two different entries at seq %(seq)s "
            "(a stale backup was restored and written to?); nodes that verify it accept nothing "
            "new from this node. See deploy/README.md, "
            '"Restoring, and recovering the own feed from peers"',
            seq=self.seq,
        )


def own_forks(session: Session, node_id: str) -> list[OwnFork]:
    """Fork proofs against our own node id that sync received from peers, oldest seq first."""
    rows = session.scalars(
        select(ForkProof).where(ForkProof.origin == node_id).order_by(ForkProof.seq)
    )
    return [OwnFork(row.seq, row.found) for row in rows]


def alerts(session: Session, node_id: str) -> list[str]:
    """Everything about our own feed an admin must see (admin pages, ``spazi peer list``)."""
    messages = [fork.message for fork in own_forks(session, node_id)]
    found = behind(session, node_id)
    if found is not None:
        messages.append(found.message)
    return messages
