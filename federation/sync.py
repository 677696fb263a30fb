"""Pull-based anti-entropy over an abstract store (protocol.md §Sync).

One round with one peer: ask for its heads, and for every origin it carries that we replicate,
page through ``after=<our seq>`` until we hold what it advertised. Every page is verified against
the *origin's* keys before it is stored (a relay is never trusted for what it relays: protocol.md
§Security considerations, item 3), so one peering link is enough to learn the whole network safely
(gossip).

Storage reaches this module as :class:`SyncStore` and the remote side as :class:`SyncSource`;
``federation.transport.PeerClient`` is a ``SyncSource``, and tests use in-memory ones.

Equivocation: when a peer's page does not continue our head (``bad-prev`` at its first entry), or
the peer advertises a head hash that differs from ours at the same seq, we fetch the peer's entry at
that seq. If it verifies and differs from ours, the two entries are a fork proof: it is recorded
and the origin quarantined (no new entries accepted from it).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from federation.detached import verify_detached
from federation.entries import Entry, parse_entry
from federation.errors import EntryError, ProtocolError, TransportError
from federation.feeds import MAX_PAGE_ENTRIES, Head, make_fork_proof, verify_fork_proof, verify_page
from federation.keyring import Keyring
from federation.keys import is_node_id

DEFAULT_PAGE_LIMIT = 200
MAX_FORK_PROOFS = 1000

# Transport failures that mean "the peer is down or overloaded", not "this origin is unknown
# there": they end the round instead of being retried for every remaining origin.
_PEER_DOWN_REASONS = frozenset({"timeout", "connection-failed", "private-address"})


@dataclass(frozen=True)
class FeedPage:
    """One page of a peer's copy of a feed, as received: entries are unverified documents."""

    origin: str
    entries: list[Any]
    head: Head | None = None
    # The page's ``detached`` member: seq (decimal string) → detached body, unverified
    # (protocol.md §Detached bodies); None when the page carries none.
    detached: Any = None


class SyncSource(Protocol):
    """The remote side of a sync round (``PeerClient`` implements it over HTTP).

    Entry documents must come from ``parse_strict`` (or be built in process): pages are verified
    with ``checked=True``, which skips the walk for floats and other non-canonical values.
    Failures are raised as :class:`~federation.errors.ProtocolError` (usually ``TransportError``).
    ``get_feed_page`` may be called from a background thread (the next page is fetched while the
    current one is verified and stored), but never by two threads at once.
    """

    def get_heads(self, url: str) -> Mapping[str, Head]:
        """Origin → head of every feed the peer at ``url`` serves."""
        ...

    def get_feed_page(self, url: str, origin: str, after: int, limit: int) -> FeedPage:
        """Up to ``limit`` entries of ``origin`` with seq > ``after``, in order."""
        ...

    def get_entry(self, url: str, origin: str, seq: int) -> Mapping[str, Any]:
        """The peer's entry ``seq`` of ``origin`` (used to confirm a fork)."""
        ...


@runtime_checkable
class ConditionalHeadsSource(Protocol):
    """A :class:`SyncSource` that can ask for the heads only if they changed (``PeerClient``)."""

    def get_heads_if_changed(
        self, url: str, validator: str | None
    ) -> tuple[Mapping[str, Head] | None, str | None]:
        """``(None, validator)`` when the peer's heads document still has ``validator``, else
        its heads and the document's new validator (protocol.md §Heads)."""
        ...


class SyncStore(Protocol):
    """What sync needs from the node's storage. The node implements it over its database.

    Guarantees the node must give:

    - ``store_page`` stores the verified entries *and* moves ``head(origin)`` to the last of them
      in ONE transaction, so a crash leaves either the whole page or none of it and the next round
      resumes at the last stored page. It also records ``key.rotate`` entries so that later
      ``keyring_for`` calls know the new keys. It must refuse (raise) if the entries do not
      continue the current head (another writer got there first) or the origin is quarantined or
      blocked by then.
    - ``keyring_for(origin)`` returns a keyring the caller may modify (a fresh copy): sync stages
      key rotations of a page in it before the page is stored.
    - ``wanted(origin, relayed_by)`` is the gossip policy: the peer's own feed and, unless the
      node limits sync to direct peers, every origin the peer relays. It must be False for the
      node's own origin: nobody else is an authority on our feed.
    - ``record_fork(proof)`` stores the proof and quarantines its origin.
    """

    def head(self, origin: str) -> Head:
        """Our last stored (seq, hash) of ``origin``; ``Head()`` when we hold nothing."""
        ...

    def heads(self, origins: Collection[str]) -> Mapping[str, Head]:
        """:meth:`head` of many origins at once (one look-up for a whole round); origins we
        hold nothing of may be left out."""
        ...

    def keyring_for(self, origin: str) -> Keyring:
        """A modifiable keyring holding everything known of ``origin``'s keys."""
        ...

    def entry_at(self, origin: str, seq: int) -> Entry | None:
        """Our stored entry ``seq`` of ``origin``, if we have it."""
        ...

    def store_page(
        self, origin: str, entries: Sequence[Entry], detached: Mapping[int, bytes] | None = None
    ) -> None:
        """Store verified entries and advance the origin's head, atomically; ``detached`` holds
        the verified detached bodies of some of them (seq → canonical bytes). Sync passes it
        only when the page carried any, so stores of feeds without them need not take it."""
        ...

    def record_fork(self, proof: Mapping[str, Any]) -> None:
        """Store a verified fork proof and quarantine its origin."""
        ...

    def is_quarantined(self, origin: str) -> bool:
        """True once a fork of ``origin`` is known: nothing new is accepted from it."""
        ...

    def is_blocked(self, origin: str) -> bool:
        """True when an admin blocked ``origin``."""
        ...

    def wanted(self, origin: str, relayed_by: str) -> bool:
        """Whether to replicate ``origin`` when peer ``relayed_by`` offers it."""
        ...


@dataclass(frozen=True)
class SyncProgress:
    """Reported after each stored page: where we are in ``origin`` and where the peer is."""

    peer_url: str
    origin: str
    stored: int
    seq: int
    target: int


@dataclass(frozen=True)
class SyncIssue:
    """Why an origin (or the whole round) stopped. ``transport`` says the peer was at fault in
    delivering (unreachable, HTTP error, bad JSON) rather than the content being refused.
    ``cause`` is the exception behind a ``store-failed`` issue, for the node's log."""

    reason: str
    detail: str
    transport: bool = False
    cause: BaseException | None = field(default=None, compare=False, repr=False)


@dataclass
class SyncReport:
    """What one round with one peer did."""

    peer_url: str
    stored: dict[str, int] = field(default_factory=dict)
    pages: int = 0
    errors: dict[str, SyncIssue] = field(default_factory=dict)
    forks: list[dict[str, Any]] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)
    peer_error: SyncIssue | None = None
    # The heads the peer advertised at the start of the round (for lag and progress reports).
    heads: dict[str, Head] = field(default_factory=dict)
    # The round's time budget ran out with more to pull: it stopped after the page in hand.
    out_of_time: bool = False
    # The validator of the heads document the round worked from (None if the peer sent none),
    # and whether the peer answered that its heads are unchanged since the one the round sent:
    # then ``heads`` is empty and no origin was looked at.
    heads_validator: str | None = None
    unchanged: bool = False

    @property
    def total_stored(self) -> int:
        return sum(self.stored.values())

    @property
    def ok(self) -> bool:
        """True when the round reached the peer and nothing was refused."""
        return self.peer_error is None and not self.errors

    @property
    def peer_failed(self) -> bool:
        """True when the peer could not be synced at all this round (count it as a failure)."""
        return self.peer_error is not None


ProgressCallback = Callable[[SyncProgress], None]


class Budget:
    """How long one round may go on pulling pages: ``seconds`` from creation on ``monotonic``.

    A peer that answers every page just under its timeout would otherwise hold the round for as
    long as it has pages; the caller runs rounds side by side and gives each a budget.
    ``seconds=None`` never runs out.
    """

    def __init__(
        self, seconds: float | None, monotonic: Callable[[], float] = time.monotonic
    ) -> None:
        self._monotonic = monotonic
        self._ends = None if seconds is None else monotonic() + seconds

    def spent(self) -> bool:
        """True once the budget's time has passed."""
        return self._ends is not None and self._monotonic() >= self._ends


def sync_from_peer(
    source: SyncSource,
    peer_url: str,
    store: SyncStore,
    now_ms: int,
    *,
    peer_id: str,
    page_limit: int = DEFAULT_PAGE_LIMIT,
    max_pages: int | None = None,
    progress: ProgressCallback | None = None,
    verify_threads: int = 1,
    budget: Budget | None = None,
    heads_validator: str | None = None,
) -> SyncReport:
    """Run one anti-entropy round against the peer ``peer_id`` at ``peer_url``.

    Never raises for anything the peer sends or fails to send: problems land in the report. An
    origin whose page is refused stops for this round with nothing of that page stored; other
    origins continue. So does an origin whose page ``store.store_page`` fails to store with any
    other exception (``store-failed``, the exception kept as the issue's ``cause``): one entry
    the node's database cannot hold must not cut the node off from every origin after it.
    Exceptions from the store's other methods propagate. A peer that becomes unreachable ends
    the round (``report.peer_error``).
    ``max_pages`` bounds the pages per origin per round so one long feed cannot starve the rest.
    ``verify_threads`` is how many threads check a page's signatures (``verify_page``).
    ``budget`` bounds the round's time: once spent, the round stops after the page in hand
    (stored, with its cursor) and sets ``report.out_of_time``; the next round resumes there.
    ``heads_validator`` is the validator of the peer's heads as a previous round that left
    nothing behind saw them: when the source can ask conditionally and the peer answers that
    they are unchanged, the round ends there (``report.unchanged``) without any per-origin work
    (protocol.md §Sync, step 1).
    """
    report = SyncReport(peer_url=peer_url)
    budget = budget or Budget(None)
    limit = max(1, min(page_limit, MAX_PAGE_ENTRIES))
    try:
        if isinstance(source, ConditionalHeadsSource):
            answer, report.heads_validator = source.get_heads_if_changed(peer_url, heads_validator)
            if answer is None:
                report.unchanged = True
                return report
            heads = dict(answer)
        else:
            heads = dict(source.get_heads(peer_url))
    except ProtocolError as exc:
        report.peer_error = _issue(exc)
        return report
    report.heads = heads
    # Most origins are unchanged in most rounds: one look-up of all our heads, and an origin
    # whose head equals the peer's costs nothing more (protocol.md §Sync).
    held = store.heads(list(heads))
    for origin in sorted(heads):
        if report.out_of_time:
            break
        skip = _skip_reason(store, origin, peer_id)
        if skip is not None:
            report.skipped[origin] = skip
            continue
        theirs = heads[origin]
        if held.get(origin) == theirs and theirs.seq >= 1:
            continue
        try:
            _sync_origin(
                source,
                peer_url,
                store,
                now_ms,
                origin,
                heads[origin],
                limit,
                max_pages,
                progress,
                report,
                verify_threads,
                budget,
            )
        except TransportError as exc:
            if _peer_down(exc):
                report.peer_error = _issue(exc)
                break
            report.errors[origin] = _issue(exc)
        except ProtocolError as exc:
            report.errors[origin] = _issue(exc)
        except _StoreFailed as failed:
            report.errors[origin] = failed.issue
    return report


class _StoreFailed(Exception):
    """``store_page`` raised something other than a protocol refusal (internal to a round)."""

    def __init__(self, cause: Exception) -> None:
        super().__init__(str(cause))
        # One line of printable text: the detail is shown in peer lists and pages as it stands,
        # and a database error's message goes on with the statement and its parameters.
        lines = str(cause).strip().splitlines()
        first = "".join(c if c.isprintable() else "?" for c in (lines[0] if lines else ""))
        detail = f"{type(cause).__name__}: {first}" if first else type(cause).__name__
        self.issue = SyncIssue("store-failed", detail[:300], cause=cause)


def _skip_reason(store: SyncStore, origin: str, peer_id: str) -> str | None:
    if store.is_blocked(origin):
        return "blocked"
    if store.is_quarantined(origin):
        return "quarantined"
    if not store.wanted(origin, peer_id):
        return "unwanted"
    return None


def _sync_origin(
    source: SyncSource,
    peer_url: str,
    store: SyncStore,
    now_ms: int,
    origin: str,
    theirs: Head,
    limit: int,
    max_pages: int | None,
    progress: ProgressCallback | None,
    report: SyncReport,
    verify_threads: int,
    budget: Budget,
) -> None:
    ours = store.head(origin)
    keyring = store.keyring_for(origin)
    if theirs.seq <= ours.seq:
        # Nothing to pull; but a different hash at a seq we hold is worth one look for a fork.
        if theirs.seq >= 1:
            mine = store.entry_at(origin, theirs.seq)
            if mine is not None and mine.hash != theirs.hash:
                _confirm_fork(source, peer_url, store, now_ms, mine, keyring, report)
        return
    if budget.spent():
        report.out_of_time = True
        return
    pages = 0
    fetcher = _PageFetcher(source, peer_url, origin, limit)
    try:
        while ours.seq < theirs.seq and (max_pages is None or pages < max_pages):
            page = fetcher.get(ours.seq)
            if page.origin != origin:
                raise TransportError("bad-response", "feed page is for another origin")
            if not page.entries:
                return  # the peer has less than it advertised; nothing more this round
            if _diverges(page.entries[0], ours):
                mine = store.entry_at(origin, ours.seq)
                if mine is None:
                    raise EntryError("bad-prev", f"entry {ours.seq + 1} does not follow our head")
                _confirm_fork(source, peer_url, store, now_ms, mine, keyring, report)
                return
            last = page.entries[-1].get("seq") if isinstance(page.entries[-1], Mapping) else None
            more = max_pages is None or pages + 1 < max_pages
            more = more and not budget.spent()  # no new request once the time is up
            if isinstance(last, int) and ours.seq < last < theirs.seq and more:
                # A guess from unverified data, used only if this page verifies and ends there.
                fetcher.prefetch(last)
            verified = verify_page(
                origin,
                ours,
                page.entries,
                keyring,
                now_ms,
                checked=True,
                max_entries=limit,
                threads=verify_threads,
            )
            # A body that does not match its signed hash refuses the page like a bad entry.
            bodies = verify_detached(verified, page.detached)
            try:
                if bodies:
                    store.store_page(origin, verified, bodies)
                else:
                    store.store_page(origin, verified)
            except ProtocolError:
                raise  # a refusal (origin quarantined or blocked meanwhile): reported as is
            except Exception as exc:  # any other failure stops this origin only
                raise _StoreFailed(exc) from exc
            pages += 1
            report.pages += 1
            report.stored[origin] = report.stored.get(origin, 0) + len(verified)
            ours = Head(verified[-1].seq, verified[-1].hash)
            if progress is not None:
                progress(SyncProgress(peer_url, origin, len(verified), ours.seq, theirs.seq))
            if ours.seq < theirs.seq and budget.spent():
                report.out_of_time = True
                return
    finally:
        fetcher.close()


class _PageFetcher:
    """Fetches the feed pages of one origin, the next one in the background on request.

    While a page is verified and stored (CPU and database work), the request for the next one is
    already out, so the peer assembles and sends it meanwhile instead of after. At most one
    request is in flight and the source is never used by two threads at once: a prefetch is only
    started after the current page arrived, and waited for before any other call.
    """

    def __init__(self, source: SyncSource, peer_url: str, origin: str, limit: int) -> None:
        self._source, self._url, self._origin, self._limit = source, peer_url, origin, limit
        self._pool: ThreadPoolExecutor | None = None
        self._pending: tuple[int, Future[FeedPage]] | None = None

    def get(self, after: int) -> FeedPage:
        """The page after ``after``: the prefetched one if it was asked for that, else fetched."""
        pending, self._pending = self._pending, None
        if pending is not None:
            wanted, future = pending
            if wanted == after:
                return future.result()  # its transport error, if any, is raised here
            future.exception()  # a wrong guess: wait for it to finish, ignore it
        return self._source.get_feed_page(self._url, self._origin, after, self._limit)

    def prefetch(self, after: int) -> None:
        """Start fetching the page after ``after`` in the background."""
        if self._pending is not None:
            raise RuntimeError("a page is already being fetched")
        if self._pool is None:
            self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="spazi-prefetch")
        future = self._pool.submit(
            self._source.get_feed_page, self._url, self._origin, after, self._limit
        )
        self._pending = (after, future)

    def close(self) -> None:
        """Wait for any request still in flight (its result is dropped) and stop the thread."""
        if self._pending is not None:
            self._pending[1].exception()
            self._pending = None
        if self._pool is not None:
            self._pool.shutdown(wait=True)
            self._pool = None


def _diverges(first: Any, ours: Head) -> bool:
    """True when a page's first entry sits right after our head but names another predecessor."""
    return (
        ours.seq >= 1
        and isinstance(first, Mapping)
        and first.get("seq") == ours.seq + 1
        and first.get("prev") != ours.hash
    )


def _confirm_fork(
    source: SyncSource,
    peer_url: str,
    store: SyncStore,
    now_ms: int,
    mine: Entry,
    keyring: Keyring,
    report: SyncReport,
) -> None:
    """Fetch the peer's entry at ``mine.seq``; if it is validly signed and differs, it's a fork.

    Raises ``bad-prev`` when the peer cannot back its divergent page or head with a signed entry:
    then the peer (not the origin) is misbehaving, and nothing is recorded against the origin.
    """
    doc = source.get_entry(peer_url, mine.origin, mine.seq)
    if (
        not isinstance(doc, Mapping)
        or doc.get("origin") != mine.origin
        or doc.get("seq") != mine.seq
    ):
        raise EntryError("bad-prev", f"peer sent no entry {mine.seq} of {mine.origin} to compare")
    # Not marked ``checked``: this rare path costs one entry, and sources need not be strict here.
    theirs = parse_entry(doc, keyring, now_ms)
    if theirs.hash == mine.hash:
        raise EntryError(
            "bad-prev", f"the peer's entry {mine.seq + 1} does not follow its own feed"
        )
    proof = make_fork_proof(mine, theirs)
    store.record_fork(proof)
    report.forks.append(proof)
    report.errors[mine.origin] = SyncIssue(
        "fork", f"{mine.origin} signed two entries at seq {mine.seq}; origin quarantined"
    )


@dataclass
class ForkIngestReport:
    """What :func:`ingest_fork_proofs` did: origins newly quarantined, proofs refused (by index)."""

    recorded: list[str] = field(default_factory=list)
    refused: dict[int, SyncIssue] = field(default_factory=dict)
    already_known: list[str] = field(default_factory=list)


def ingest_fork_proofs(proofs: Iterable[Any], store: SyncStore) -> ForkIngestReport:
    """Verify fork proofs served by a peer and record those that prove an equivocation.

    A proof is checked on its own (both entries signed by the origin's keys, same seq, different
    hashes), never believed because a peer served it. Origins already quarantined or blocked are
    left alone. At most ``MAX_FORK_PROOFS`` proofs are looked at per call.
    """
    report = ForkIngestReport()
    for index, proof in enumerate(proofs):
        if index >= MAX_FORK_PROOFS:
            break
        origin = proof.get("origin") if isinstance(proof, Mapping) else None
        if not isinstance(origin, str) or not is_node_id(origin):
            report.refused[index] = SyncIssue("bad-fork-proof", "proof names no valid origin")
            continue
        if store.is_quarantined(origin) or store.is_blocked(origin):
            report.already_known.append(origin)
            continue
        try:
            first, second = verify_fork_proof(proof, store.keyring_for(origin))
        except ProtocolError as exc:
            report.refused[index] = _issue(exc)
            continue
        # Record our own rebuilt proof, not the received document (no extra members ride along).
        store.record_fork(make_fork_proof(first, second))
        report.recorded.append(origin)
    return report


def _peer_down(exc: TransportError) -> bool:
    if exc.reason in _PEER_DOWN_REASONS:
        return True
    status = getattr(exc, "status", None)
    return isinstance(status, int) and (status >= 500 or status == 429)


def _issue(exc: ProtocolError) -> SyncIssue:
    return SyncIssue(exc.reason, exc.detail, transport=isinstance(exc, TransportError))
