"""Sync with peers: the node's :class:`SyncStore` and the round over due peers.

Each verified page is stored with its cursor (the origin's head) in one write transaction
(``feedstore.store_verified``), so an interrupted sync resumes at the last stored page and never
stores an entry twice.

Due peers are pulled side by side, ``sync_threads`` at a time, each on its own thread with its
own client and database sessions (SQLite serialises the writes with its own lock), and each
round has a time budget (``sync_round_budget``) so that one slow but valid peer can neither hold
up the others nor the next call (ARCHITECTURE.md §A synced page arrives). A round that runs out
of budget keeps what it stored and counts as a soft failure: the peer backs off like a failing
one, so its push hints no longer pull it early, until one of its rounds completes.
"""

from __future__ import annotations

import contextlib
import logging
import random
import threading
from collections.abc import Callable, Collection, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from sqlalchemy import func, select

from federation.backoff import next_delay
from federation.canonical import parse_strict
from federation.entries import Entry, parse_entry
from federation.errors import ProtocolError
from federation.feeds import Head
from federation.keyring import Keyring
from federation.sync import (
    MAX_FORK_PROOFS,
    Budget,
    ProgressCallback,
    SyncReport,
    ingest_fork_proofs,
    sync_from_peer,
)
from federation.transport.client import PeerClient
from node import feedcheck, feedstore, metrics
from node.clock import aware
from node.models import Block, ForkProof, Origin, Peer
from node.network.transport import peer_client
from node.runtime import Node

_rng = random.SystemRandom()
log = logging.getLogger("spazi.sync")
MAX_NEW_ORIGINS_PER_ROUND = 100
# However often the peer's heads answer 304, one round in this long looks at every origin.
FULL_ROUND_EVERY = timedelta(hours=1)
BASE_MS = 5_000


class NodeSyncStore:
    """:class:`federation.sync.SyncStore` over the node's database.

    What the gossip policy needs (peers, known origins, blocks, quarantines) is read on first
    use, not when the store is made: a round whose heads are unchanged never asks, and costs
    nothing per origin (ARCHITECTURE.md §A synced page arrives).
    """

    def __init__(self, node: Node, relayed_by: str | None = None) -> None:
        self.node = node
        self.relayed_by = relayed_by
        self._loaded = False
        self._peers: set[str] = set()
        self._known: set[str] = set()
        self._blocked: set[str] = set()
        self._quarantined: set[str] = set()
        self._new_origins = 0
        # Origins this relay introduced before this round (None until a new origin is offered).
        self._introduced: int | None = None
        # New origins turned away this round: over the per-round cap (they come next round) and
        # over the relay's total bound (they come only from another peer).
        self.capped = 0
        self.bounded = 0

    def _load(self) -> None:
        if self._loaded:
            return
        with self.node.db.read() as session:
            self._peers = set(session.scalars(select(Peer.id).where(Peer.state == "active")))
            self._known = set(session.scalars(select(Origin.id)))
            # Read once per round: a block or quarantine that lands meanwhile is still refused
            # where it matters, by store_page in its own transaction.
            self._blocked = set(session.scalars(select(Block.node_id)))
            self._quarantined = set(
                session.scalars(select(Origin.id).where(Origin.status == "quarantined"))
            )
        self._loaded = True

    def head(self, origin: str) -> Head:
        with self.node.db.read() as session:
            return feedstore.head(session, origin)

    def heads(self, origins: Collection[str]) -> dict[str, Head]:
        with self.node.db.read() as session:
            return feedstore.heads_of(session, origins)

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

    def store_page(
        self, origin: str, entries: Sequence[Entry], detached: Mapping[int, bytes] | None = None
    ) -> None:
        with self.node.db.write() as session:
            row = feedstore.lock_origin(session, origin)
            if row is not None and row.status != "active":
                raise ProtocolError("origin-not-active", f"{origin} is {row.status}")
            if session.get(Block, origin) is not None:
                raise ProtocolError("origin-not-active", f"{origin} is blocked")
            feedstore.store_verified(
                session,
                origin,
                entries,
                None,
                relayed_by=self.relayed_by,
                now=self.node.now(),
                detached=detached,
            )
            # Events naming us as a co-host become requests, the admins told once each.
            # Imported here, as the outbox below: an idle round (`spazi sync` with nothing to
            # pull) needs neither the services nor the message code.
            from node.services import cohosts

            cohosts.note_requests(session, self.node, list(entries))

    def record_fork(self, proof: Mapping[str, Any]) -> None:
        with self.node.db.write() as session:
            origin, seq = proof["origin"], proof["seq"]
            if session.get(ForkProof, (origin, seq)) is None:
                session.add(
                    ForkProof(origin=origin, seq=seq, proof=dict(proof), found=self.node.now())
                )
            if origin == self.node.node_id:
                # A proof against ourselves is kept to be shown to the admin
                # (node.feedcheck.alerts); quarantining our own origin would mean nothing, as
                # we never sync it, and our own entries stay ours (protocol.md §Fork proofs).
                return
            row = feedstore.ensure_origin(session, origin, self.node.now())
            if row.status == "active":
                row.status = "quarantined"
        self._load()
        self._quarantined.add(origin)

    def is_quarantined(self, origin: str) -> bool:
        self._load()
        return origin in self._quarantined

    def is_blocked(self, origin: str) -> bool:
        self._load()
        return origin in self._blocked

    def wanted(self, origin: str, relayed_by: str) -> bool:
        if origin == self.node.node_id:
            return False  # nobody else is an authority on our own feed
        self._load()
        if self.node.settings["gossip"] != "network":
            return origin in self._peers
        if origin in self._known or origin in self._peers:
            return True
        # A hostile peer could mint node ids without end (protocol.md §Sync, "New origins"):
        # take a bounded number of origins we have never seen per round, the rest in later
        # rounds, and no more in all than the relay's bound.
        if self._new_origins >= MAX_NEW_ORIGINS_PER_ROUND:
            self.capped += 1
            return False
        if self._introduced_by(relayed_by) + self._new_origins >= int(
            self.node.settings["max_origins_per_relay"]
        ):
            self.bounded += 1
            return False
        self._new_origins += 1
        return True

    def _introduced_by(self, relay: str) -> int:
        """How many origins ``relay`` introduced here (``Origin.relayed_by``), its own aside."""
        if self._introduced is None:
            with self.node.db.read() as session:
                self._introduced = introduced_by(session, relay)
        return self._introduced


def introduced_by(session: Any, relay: str) -> int:
    """Origins first stored from ``relay``'s feeds (``Origin.relayed_by``), its own feed aside:
    what counts against its ``max_origins_per_relay`` (protocol.md §Sync, "New origins")."""
    query = select(func.count()).where(Origin.relayed_by == relay, Origin.id != relay)
    return int(session.scalar(query.select_from(Origin)) or 0)


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
    """One round with one peer, within the ``sync_round_budget``, then its health (failures,
    backoff, lag) updated.

    Returns the round's report and how many fork proofs from the peer were newly recorded.
    """
    seconds = int(node.settings["sync_round_budget"])
    # The due time this round was started for: a push hint during the round moves it later.
    due_at = aware(peer.next_try) if peer.next_try is not None else None
    store = NodeSyncStore(node, relayed_by=peer.id)
    now = node.now()
    # Send back the validator of the heads our last complete round saw, unless it is older than
    # FULL_ROUND_EVERY: then one round looks at every origin again, whatever the peer says
    # (something may have changed on our side, such as the gossip setting; unblocking an origin
    # clears the validators at once, node.network.blocking.unblock).
    since = aware(peer.heads_etag_since) if peer.heads_etag_since is not None else None
    fresh = since is not None and now - since < FULL_ROUND_EVERY
    report = sync_from_peer(
        client,
        peer.url,
        store,
        node.now_ms(),
        peer_id=peer.id,
        page_limit=int(node.settings["feed_page_max"]),
        progress=progress,
        verify_threads=node.verify_threads,
        budget=Budget(seconds, node.monotonic),
        heads_validator=peer.heads_etag if fresh else None,
    )
    raced = [o for o, issue in report.errors.items() if issue.reason == "stale-head"]
    for origin in raced:
        # Another sync thread of ours stored that page first (two peers relay the origin): not
        # the peer's fault, and the rest comes from whichever peer is pulling it.
        del report.errors[origin]
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
    if not report.peer_failed and not report.unchanged:
        # Unchanged heads hold the same head of our feed that the last round already checked.
        note_own_head(node, client, peer, report.heads.get(node.node_id))
    if report.out_of_time:
        log.info("sync from %s stopped after its budget of %d s", peer.url, seconds)
    forks = 0
    forks_etag = peer.forks_etag
    if not report.peer_failed and not report.out_of_time:
        # Forks are a best-effort extra: the feed round itself already succeeded. The list is
        # asked for conditionally too; its validator is kept only once every proof was looked at.
        with contextlib.suppress(ProtocolError):
            proofs, validator = client.get_forks_if_changed(peer.url, forks_etag)
            if proofs is not None:
                ingested = ingest_fork_proofs(proofs, store)
                forks = len(ingested.recorded)
                complete = len(proofs) <= MAX_FORK_PROOFS
                forks_etag = validator if complete else None
    outcome = "failed" if report.peer_failed else "out-of-time" if report.out_of_time else "ok"
    metrics.SYNC_ROUNDS.labels(peer.id, outcome).inc()
    if report.total_stored:
        metrics.ENTRIES_STORED.labels(peer.id).inc(report.total_stored)
    now = node.now()
    # The heads validator is kept only after a round that left nothing behind: a 304 next time
    # must mean "nothing to do", not "nothing new since a round that stopped half-way".
    # An origin lost to another thread's race may still be behind this peer's head (the other
    # peer may hold less): that round left something behind too.
    complete = report.ok and not report.out_of_time and not store.capped and not store.bounded
    complete = complete and not raced
    with node.db.write() as session:
        row = session.get(Peer, peer.id)
        if row is None:
            return report, forks
        row.last_attempt = now
        row.forks_etag = forks_etag
        if report.unchanged:
            pass  # the same validator, still as old as when it was first seen
        elif complete and report.heads_validator is not None:
            row.heads_etag, row.heads_etag_since = report.heads_validator, now
        else:
            row.heads_etag = row.heads_etag_since = None
        if report.peer_failed:
            row.failures += 1
            issue = report.peer_error
            row.last_error = f"{issue.reason}: {issue.detail}"[:500] if issue else "failed"
            delay = _backoff_ms(node, row.failures)
            row.next_try = now + timedelta(milliseconds=delay)
        else:
            row.last_success = now
            refused = "; ".join(f"{o}: {i.reason}" for o, i in report.errors.items())
            if not report.unchanged:  # unchanged heads: the lag the last round left stands
                row.lag = _lag(session, report)
            if report.out_of_time:
                # A soft failure: what it served is stored and the next round goes on from
                # there, but the peer waits at least one budget and backs off like a failing
                # one while its rounds keep running out (push hints then no longer pull it early).
                row.failures += 1
                stopped = f"round-budget: stopped after {seconds} s, {row.lag} entries to go"
                row.last_error = "; ".join(filter(None, [stopped, refused]))[:500]
                delay = max(seconds * 1000, _backoff_ms(node, row.failures))
                row.next_try = now + timedelta(milliseconds=delay)
            else:
                row.failures = 0
                row.last_error = refused[:500] or None
                # A push hint that came in during this round (it moved next_try off the due
                # time the round started for) may announce entries the round missed: keep it,
                # so the peer is pulled again at once instead of a whole interval later.
                hinted = row.next_try is not None and (
                    due_at is None or aware(row.next_try) != due_at
                )
                if store.capped:
                    # New origins were left for later by the per-round cap: the peer is due
                    # again on the next tick, so an honest relay's backlog drains at the cap's
                    # pace instead of one cap per interval (protocol.md §Sync, "New origins").
                    row.next_try = now
                elif not hinted:
                    row.next_try = now + timedelta(seconds=int(node.settings["sync_interval"]))
        if report.total_stored:
            _relay_hints(session, node, report, source=peer.id)
    return report, forks


def proven_ahead(node: Node, client: PeerClient, peer_url: str, theirs: Head) -> int:
    """The seq the peer advertises for our own feed, if it is beyond our head and the peer
    backs it with a validly signed entry of ours right after our head; else 0.

    Heads are claims: without the signed entry, any peer could stop us from writing by
    advertising a large seq. Only our own keys can have signed that entry.
    """
    with node.db.read() as session:
        ours = feedstore.head(session, node.node_id)
        if theirs.seq <= ours.seq:
            return 0  # the usual case, every round: no keyring to load
        ring = feedstore.keyring(session)
    try:
        doc = client.get_entry(peer_url, node.node_id, ours.seq + 1)
        entry = parse_entry(doc, ring, node.now_ms())
    except ProtocolError as exc:
        log.warning("%s advertises our feed at seq %s but: %s", peer_url, theirs.seq, exc)
        return 0
    if entry.origin != node.node_id or entry.seq != ours.seq + 1:
        return 0
    return theirs.seq


def note_own_head(node: Node, client: PeerClient, peer: Peer, theirs: Head | None) -> int:
    """Record what a peer proved it holds of our own feed beyond our head (a restored backup;
    protocol.md §Feeds, "Writing"). Returns that seq, or 0 when the peer holds nothing more."""
    if theirs is None:
        return 0
    seq = proven_ahead(node, client, peer.url, theirs)
    if seq:
        log.error("peer %s holds our own feed up to seq %s, beyond our head", peer.url, seq)
        with node.db.write() as session:
            feedcheck.record_ahead(session, node.node_id, peer.id, seq, node.now())
    return seq


def _relay_hints(session: Any, node: Node, report: SyncReport, source: str) -> None:
    """Pass the push hint on: our other peers learn that feeds we relay moved.

    Without this only the author's direct peers pull early and everyone further away waits for
    a periodic pull at every hop; with it a new entry crosses the network at the pace of hints.
    A round that stores nothing sends nothing, so hints die out once everyone holds the entry.
    """
    from node.network.outbox import queue_heads_changed

    moved = {o: feedstore.head(session, o) for o, count in report.stored.items() if count}
    queue_heads_changed(session, node, moved, skip={source})


def _backoff_ms(node: Node, failures: int) -> float:
    cap = max(BASE_MS, int(node.settings["sync_interval"]) * 1000 * 30)
    return next_delay(failures, BASE_MS, cap, _rng)


def _lag(session: Any, report: SyncReport) -> int:
    """How far behind the peer we still are (entries), from the heads it advertised."""
    behind = 0
    held = feedstore.heads_of(session, report.heads)
    for origin, theirs in report.heads.items():
        if origin in report.skipped:
            continue
        behind += max(0, theirs.seq - held.get(origin, Head()).seq)
    return behind


def sync_due(
    node: Node,
    client: PeerClient | None = None,
    *,
    force: bool = False,
    only: str | None = None,
    progress: Callable[[str, Any], None] | None = None,
) -> RoundReport:
    """Sync with every active peer whose next try is due (all of them with ``force``).

    The peers are pulled ``sync_threads`` at a time, each round within ``sync_round_budget``,
    so the call takes about one budget however slow a peer is. ``progress`` is called with the
    peer's id and each stored page, never from two threads at once. A ``client`` given by the
    caller is used for every peer, one after the other (a client is not shared across threads).
    """
    result = RoundReport()
    with node.db.read() as session:
        query = select(Peer).where(Peer.state == "active")
        if only is not None:
            query = query.where(Peer.id == only)
        peers = list(session.scalars(query.order_by(Peer.id)))
    now = node.now()
    due = [p for p in peers if force or p.next_try is None or aware(p.next_try) <= now]
    if not due:
        return result
    reporting = threading.Lock()

    def run(peer: Peer) -> tuple[SyncReport, int] | None:
        if session_blocked(node, peer.id):
            return None  # blocked since the round began
        on_page = None
        if progress is not None:

            def on_page(step: Any, pid: str = peer.id) -> None:
                with reporting:
                    progress(pid, step)

        if client is not None:
            return sync_peer(node, client, peer, on_page)
        with contextlib.closing(peer_client(node)) as own:
            return sync_peer(node, own, peer, on_page)

    threads = 1 if client is not None else min(int(node.settings["sync_threads"]), len(due))
    if threads == 1:
        outcomes = {peer.id: run(peer) for peer in due}
    else:
        with ThreadPoolExecutor(max_workers=threads, thread_name_prefix="spazi-sync") as pool:
            futures: dict[str, Future[tuple[SyncReport, int] | None]] = {
                peer.id: pool.submit(run, peer) for peer in due
            }
        # Every round has ended here; a failure of the node itself (raised by the store) is
        # raised now, after the other rounds stored what they could.
        outcomes = {peer_id: future.result() for peer_id, future in futures.items()}
    for peer_id, outcome in outcomes.items():
        if outcome is not None:
            result.reports[peer_id], forks = outcome
            result.forks_recorded += forks
    return result


def session_blocked(node: Node, node_id: str) -> bool:
    with node.db.read() as session:
        return session.get(Block, node_id) is not None
