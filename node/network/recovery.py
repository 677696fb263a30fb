"""Checking peers' heads of our own feed, and pulling our own missing entries back from them.

After a node is restored from an older backup, its peers may hold entries of its own feed that
its database lacks; appending then would sign a seq they already hold (protocol.md §Feeds,
"Writing"). :func:`check_peers` asks every active peer and stores the verdict
(``node.feedcheck``); :func:`start_check` runs it in the background when a node starts;
:func:`recover` (``spazi feed recover``) pages the missing entries back through the normal sync
path — every page verified with our own keys by ``verify_page``, stored and projected — and
checks again.

Unreachable peers are not evidence: a node whose peers are all down can still write.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import select

from federation.errors import ProtocolError
from federation.sync import ProgressCallback, sync_from_peer
from federation.transport.client import PeerClient
from node import feedcheck, feedstore
from node.models import Block, Peer
from node.network.peering import announce_if_changed
from node.network.syncing import NodeSyncStore, note_own_head
from node.network.transport import peer_client
from node.runtime import Node

log = logging.getLogger("spazi.recovery")


@dataclass
class CheckReport:
    """What :func:`check_peers` found: peers reached, peers that failed, peers ahead of us."""

    reached: set[str] = field(default_factory=set)
    failed: dict[str, str] = field(default_factory=dict)
    ahead: dict[str, int] = field(default_factory=dict)


def _active_peers(node: Node) -> list[Peer]:
    with node.db.read() as session:
        blocked = select(Block.node_id)
        query = select(Peer).where(Peer.state == "active", Peer.id.not_in(blocked))
        return list(session.scalars(query.order_by(Peer.id)))


def check_peers(
    node: Node,
    client: PeerClient | None = None,
    on_peer: Callable[[Peer], None] | None = None,
) -> CheckReport:
    """Ask every active peer for its head of our feed and store the verdict.

    A peer counts as ahead only when it serves a validly signed entry of ours after our head
    (``node.network.syncing.proven_ahead``). ``on_peer`` is called before each peer is asked.
    """
    owned = client is None
    client = client or peer_client(node)
    report = CheckReport()
    try:
        for peer in _active_peers(node):
            if on_peer is not None:
                on_peer(peer)
            try:
                heads = client.get_heads(peer.url)
            except ProtocolError as exc:
                report.failed[peer.id] = f"{exc.reason}: {exc.detail}"
                continue
            report.reached.add(peer.id)
            seq = note_own_head(node, client, peer, heads.get(node.node_id))
            if seq:
                report.ahead[peer.id] = seq
    finally:
        if owned:
            client.close()
    if not report.ahead:
        with node.db.write() as session:
            feedcheck.record_checked(session, node.node_id, report.reached, node.now())
    return report


def start_check(node: Node) -> threading.Thread | None:
    """At start-up, check peers' heads of our feed in the background; publishing in this process
    waits for it (``node.feedcheck.require_current``). None when there is no active peer."""
    if not _active_peers(node):
        return None
    pending = threading.Event()
    node.own_check_pending = pending

    def run() -> None:
        try:
            check_peers(node)
        except Exception:  # never leave the node unable to write because the check crashed
            log.exception("checking peers' heads of our own feed failed")
        finally:
            pending.set()

    thread = threading.Thread(target=run, name="spazi-own-feed-check", daemon=True)
    thread.start()
    return thread


class _OwnFeedStore(NodeSyncStore):
    """The sync store, replicating only our own feed (which normal sync never takes)."""

    def wanted(self, origin: str, relayed_by: str) -> bool:
        return origin == self.node.node_id


@dataclass
class RecoverReport:
    """What :func:`recover` did: entries stored per peer, failures, and what is still missing."""

    stored: int = 0
    from_peers: dict[str, int] = field(default_factory=dict)
    failed: dict[str, str] = field(default_factory=dict)
    head: int = 0
    still_behind: feedcheck.Behind | None = None
    forks: int = 0


def recover(
    node: Node,
    client: PeerClient | None = None,
    progress: ProgressCallback | None = None,
    on_peer: Callable[[Peer], None] | None = None,
) -> RecoverReport:
    """Pull the entries of our own feed that peers hold beyond our head, then check again.

    Each page goes through ``federation.sync`` as any synced page does: verified against our
    own keys (the genesis key and the rotations of our feed), stored with the new head and
    projected in one transaction. A page that does not continue our head is a fork, recorded
    and shown (``node.feedcheck.alerts``), never stored.
    """
    owned = client is None
    client = client or peer_client(node)
    report = RecoverReport()
    try:
        for peer in _active_peers(node):
            if on_peer is not None:
                on_peer(peer)
            store = _OwnFeedStore(node, relayed_by=peer.id)
            result = sync_from_peer(
                client,
                peer.url,
                store,
                node.now_ms(),
                peer_id=peer.id,
                page_limit=int(node.settings["feed_page_max"]),
                progress=progress,
                verify_threads=node.verify_threads,
            )
            stored = result.stored.get(node.node_id, 0)
            if stored:
                report.from_peers[peer.id] = stored
                report.stored += stored
            report.forks += len(result.forks)
            issue = result.peer_error or result.errors.get(node.node_id)
            if issue is not None:
                report.failed[peer.id] = f"{issue.reason}: {issue.detail}"
        check_peers(node, client)
    finally:
        if owned:
            client.close()
    with node.db.write() as session:
        report.head = feedstore.head(session, node.node_id).seq
        report.still_behind = feedcheck.behind(session, node.node_id)
        # A peering change made while the feed was behind is announced now that it is current.
        announce_if_changed(session, node)
    return report
