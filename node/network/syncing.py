"""Sync with peers: the node's :class:`SyncStore` and the round over due peers.

Each verified page is stored with its cursor (the origin's head) in one write transaction
(``feedstore.store_verified``), so an interrupted sync resumes at the last stored page and never
stores an entry twice.
"""

from __future__ import annotations

import contextlib
import logging
import random
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from sqlalchemy import select

from federation.backoff import next_delay
from federation.canonical import parse_strict
from federation.entries import Entry, parse_entry
from federation.errors import ProtocolError
from federation.feeds import Head
from federation.keyring import Keyring
from federation.sync import ProgressCallback, SyncReport, ingest_fork_proofs, sync_from_peer
from federation.transport.client import PeerClient
from node import feedstore
from node.clock import aware
from node.models import Block, ForkProof, Origin, Peer
from node.network.outbox import queue_heads_changed
from node.network.transport import peer_client
from node.runtime import Node

_rng = random.SystemRandom()
log = logging.getLogger("spazi.sync")
MAX_NEW_ORIGINS_PER_ROUND = 100
BASE_MS = 5_000


class NodeSyncStore:
    """:class:`federation.sync.SyncStore` over the node's database."""

    def __init__(self, node: Node, relayed_by: str | None = None) -> None:
        self.node = node
        self.relayed_by = relayed_by
        with node.db.read() as session:
            self._peers = set(session.scalars(select(Peer.id).where(Peer.state == "active")))
            self._known = set(session.scalars(select(Origin.id)))
        self._new_origins = 0

    def head(self, origin: str) -> Head:
        with self.node.db.read() as session:
            return feedstore.head(session, origin)

    def keyring_for(self, origin: str) -> Keyring:
        with self.node.db.read() as session:
            return feedstore.keyring(session)

    def entry_at(self, origin: str, seq: int) -> Entry | None:
        with self.node.db.read() as session:
            raw = feedstore.entry_raw(session, origin, seq)
            ring = feedstore.keyring(session)
        if raw is None:
            return None
        return parse_entry(parse_strict(raw), ring, checked=True)

    def store_page(self, origin: str, entries: Sequence[Entry]) -> None:
        with self.node.db.write() as session:
            row = feedstore.lock_origin(session, origin)
            if row is not None and row.status != "active":
                raise ProtocolError("origin-not-active", f"{origin} is {row.status}")
            if session.get(Block, origin) is not None:
                raise ProtocolError("origin-not-active", f"{origin} is blocked")
            feedstore.store_verified(
                session, origin, entries, None, relayed_by=self.relayed_by, now=self.node.now()
            )

    def record_fork(self, proof: Mapping[str, Any]) -> None:
        with self.node.db.write() as session:
            origin, seq = proof["origin"], proof["seq"]
            if session.get(ForkProof, (origin, seq)) is None:
                session.add(
                    ForkProof(origin=origin, seq=seq, proof=dict(proof), found=self.node.now())
                )
            row = feedstore.ensure_origin(session, origin, self.node.now())
            if row.status == "active":
                row.status = "quarantined"

    def is_quarantined(self, origin: str) -> bool:
        with self.node.db.read() as session:
            row = session.get(Origin, origin)
            return row is not None and row.status == "quarantined"

    def is_blocked(self, origin: str) -> bool:
        with self.node.db.read() as session:
            return session.get(Block, origin) is not None

    def wanted(self, origin: str, relayed_by: str) -> bool:
        if origin == self.node.node_id:
            return False  # nobody else is an authority on our own feed
        if self.node.settings["gossip"] != "network":
            return origin in self._peers
        if origin in self._known or origin in self._peers:
            return True
        # A hostile peer could mint node ids without end; take a bounded number of origins we
        # have never seen per round, the rest come in later rounds.
        if self._new_origins >= MAX_NEW_ORIGINS_PER_ROUND:
            return False
        self._new_origins += 1
        return True


@dataclass
class RoundReport:
    """What :func:`sync_due` did, per peer."""

    reports: dict[str, SyncReport] = field(default_factory=dict)
    forks_recorded: int = 0

    @property
    def stored(self) -> int:
        return sum(r.total_stored for r in self.reports.values())


def sync_peer(
    node: Node, client: PeerClient, peer: Peer, progress: ProgressCallback | None = None
) -> tuple[SyncReport, int]:
    """One round with one peer, then its health (failures, backoff, lag) updated.

    Returns the round's report and how many fork proofs from the peer were newly recorded.
    """
    store = NodeSyncStore(node, relayed_by=peer.id)
    report = sync_from_peer(
        client,
        peer.url,
        store,
        node.now_ms(),
        peer_id=peer.id,
        page_limit=int(node.settings["feed_page_max"]),
        progress=progress,
        verify_threads=node.verify_threads,
    )
    if report.peer_failed and report.peer_error is not None:
        log.warning(
            "sync from %s failed: %s: %s",
            peer.url,
            report.peer_error.reason,
            report.peer_error.detail,
        )
    for origin, refusal in report.errors.items():
        # A store-failed issue carries its exception: the traceback is for the operator's log.
        log.warning(
            "refused %s's feed from %s: %s: %s",
            origin,
            peer.url,
            refusal.reason,
            refusal.detail,
            exc_info=refusal.cause,
        )
    forks = 0
    if not report.peer_failed:
        # Forks are a best-effort extra: the feed round itself already succeeded.
        with contextlib.suppress(ProtocolError):
            forks = len(ingest_fork_proofs(client.get_forks(peer.url), store).recorded)
    now = node.now()
    with node.db.write() as session:
        row = session.get(Peer, peer.id)
        if row is None:
            return report, forks
        row.last_attempt = now
        if report.peer_failed:
            row.failures += 1
            issue = report.peer_error
            row.last_error = f"{issue.reason}: {issue.detail}"[:500] if issue else "failed"
            delay = _backoff_ms(node, row.failures)
            row.next_try = now + timedelta(milliseconds=delay)
        else:
            row.failures = 0
            row.last_success = now
            row.last_error = (
                "; ".join(f"{o}: {i.reason}" for o, i in report.errors.items())[:500] or None
            )
            row.next_try = now + timedelta(seconds=int(node.settings["sync_interval"]))
            row.lag = _lag(session, report)
        if report.total_stored:
            _relay_hints(session, node, report, source=peer.id)
    return report, forks


def _relay_hints(session: Any, node: Node, report: SyncReport, source: str) -> None:
    """Pass the push hint on: our other peers learn that feeds we relay moved.

    Without this only the author's direct peers pull early and everyone further away waits for
    a periodic pull at every hop; with it a new entry crosses the network at the pace of hints.
    A round that stores nothing sends nothing, so hints die out once everyone holds the entry.
    """
    moved = {o: feedstore.head(session, o) for o, count in report.stored.items() if count}
    queue_heads_changed(session, node, moved, skip={source})


def _backoff_ms(node: Node, failures: int) -> float:
    cap = max(BASE_MS, int(node.settings["sync_interval"]) * 1000 * 30)
    return next_delay(failures, BASE_MS, cap, _rng)


def _lag(session: Any, report: SyncReport) -> int:
    """How far behind the peer we still are (entries), from the heads it advertised."""
    behind = 0
    for origin, theirs in report.heads.items():
        if origin in report.skipped:
            continue
        ours = feedstore.head(session, origin)
        behind += max(0, theirs.seq - ours.seq)
    return behind


def sync_due(
    node: Node,
    client: PeerClient | None = None,
    *,
    force: bool = False,
    only: str | None = None,
    progress: Callable[[str, Any], None] | None = None,
) -> RoundReport:
    """Sync with every active peer whose next try is due (all of them with ``force``)."""
    owned = client is None
    client = client or peer_client(node)
    result = RoundReport()
    try:
        with node.db.read() as session:
            query = select(Peer).where(Peer.state == "active")
            if only is not None:
                query = query.where(Peer.id == only)
            peers = list(session.scalars(query.order_by(Peer.id)))
        now = node.now()
        for peer in peers:
            if not force and peer.next_try is not None and aware(peer.next_try) > now:
                continue
            if session_blocked(node, peer.id):
                continue
            on_page = (lambda p, pid=peer.id: progress(pid, p)) if progress else None
            report, forks = sync_peer(node, client, peer, on_page)
            result.reports[peer.id] = report
            result.forks_recorded += forks
    finally:
        if owned:
            client.close()
    return result


def session_blocked(node: Node, node_id: str) -> bool:
    with node.db.read() as session:
        return session.get(Block, node_id) is not None
