"""Anti-entropy sync over in-memory stores and sources built from real signed entries."""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from typing import Any

import pytest

from federation.canonical import parse_strict
from federation.entries import Entry, apply_key_change, build_entry, rotation_body
from federation.errors import TransportError
from federation.feeds import Head, verify_fork_proof
from federation.keyring import Keyring
from federation.keys import NodeKey
from federation.sync import (
    FeedPage,
    SyncProgress,
    SyncReport,
    SyncSource,
    SyncStore,
    ingest_fork_proofs,
    sync_from_peer,
)
from federation.transport import PeerHTTPError
from tests.federation.builders import (
    KEY_A,
    KEY_B,
    KEY_C,
    NOW_MS,
    A,
    B,
    C,
    build_feed,
    event_body,
    sign_unchecked,
)

KEY_C2 = NodeKey.from_seed(bytes([9]) * 32)
URL = {A: "https://a.example", B: "https://b.example", C: "https://c.example"}


class MemoryStore:
    """What a node's database does for sync, in memory, with the same guarantees."""

    def __init__(self, me: str, *, direct_peers: set[str] | None = None, direct_only: bool = False):
        self.me = me
        self.feeds: dict[str, list[Entry]] = {}
        self.forks: list[Mapping[str, Any]] = []
        self.quarantined: set[str] = set()
        self.blocked: set[str] = set()
        self.direct_peers = direct_peers or set()
        self.direct_only = direct_only
        self.crash_on_page: int | None = None
        self.pages_stored = 0
        self.head_batches = 0

    def publish(self, entries: Sequence[Entry]) -> None:
        """Append to this node's own feed (or seed a mirror directly)."""
        for entry in entries:
            self.feeds.setdefault(entry.origin, []).append(entry)

    # -- SyncStore ------------------------------------------------------------------------------

    def head(self, origin: str) -> Head:
        feed = self.feeds.get(origin)
        return Head(feed[-1].seq, feed[-1].hash) if feed else Head()

    def heads(self, origins: Collection[str]) -> dict[str, Head]:
        self.head_batches += 1
        return {
            origin: Head(self.feeds[origin][-1].seq, self.feeds[origin][-1].hash)
            for origin in origins
            if self.feeds.get(origin)
        }

    def keyring_for(self, origin: str) -> Keyring:
        # Rebuilt from stored key.rotate entries, as the node does from its database.
        ring = Keyring()
        for entry in self.feeds.get(origin, []):
            apply_key_change(ring, entry)
        return ring

    def entry_at(self, origin: str, seq: int) -> Entry | None:
        feed = self.feeds.get(origin, [])
        return feed[seq - 1] if 1 <= seq <= len(feed) else None

    def store_page(self, origin: str, entries: Sequence[Entry]) -> None:
        if self.crash_on_page is not None and self.pages_stored + 1 == self.crash_on_page:
            raise RuntimeError("disk full")  # the transaction rolls back: nothing is kept
        if origin in self.quarantined or origin in self.blocked:
            raise RuntimeError(f"{origin} may not receive entries")
        head = self.head(origin)
        if entries[0].seq != head.seq + 1 or entries[0].prev != head.hash:
            raise RuntimeError("page does not continue the head")
        self.feeds[origin] = [*self.feeds.get(origin, []), *entries]
        self.pages_stored += 1

    def record_fork(self, proof: Mapping[str, Any]) -> None:
        self.forks.append(proof)
        self.quarantined.add(proof["origin"])

    def is_quarantined(self, origin: str) -> bool:
        return origin in self.quarantined

    def is_blocked(self, origin: str) -> bool:
        return origin in self.blocked

    def wanted(self, origin: str, relayed_by: str) -> bool:
        if origin == self.me:
            return False
        return origin in self.direct_peers if self.direct_only else True


class NetworkSource:
    """Serves every store of ``network`` at its URL, like the nodes' federation endpoints."""

    def __init__(self, network: Mapping[str, MemoryStore]) -> None:
        self.network = network
        self.calls: list[tuple[Any, ...]] = []

    def _store(self, url: str) -> MemoryStore:
        return self.network[url]

    def get_heads(self, url: str) -> dict[str, Head]:
        self.calls.append(("heads", url))
        store = self._store(url)
        return {origin: store.head(origin) for origin in store.feeds}

    def get_feed_page(self, url: str, origin: str, after: int, limit: int) -> FeedPage:
        self.calls.append(("page", url, origin, after, limit))
        feed = self._store(url).feeds.get(origin)
        if feed is None:
            raise PeerHTTPError(404, url, {"type": "urn:spazi:problem:unknown-origin"})
        # Entries cross the wire as JSON and come back through parse_strict, as with PeerClient.
        return FeedPage(origin, [parse_strict(e.raw) for e in feed[after : after + limit]])

    def get_entry(self, url: str, origin: str, seq: int) -> dict[str, Any]:
        self.calls.append(("entry", url, origin, seq))
        entry = self._store(url).entry_at(origin, seq)
        if entry is None:
            raise PeerHTTPError(404, url, {"type": "urn:spazi:problem:unknown-entry"})
        return dict(parse_strict(entry.raw))


class TamperingSource(NetworkSource):
    """A relay that rewrites the pages of one origin before serving them."""

    def __init__(
        self,
        network: Mapping[str, MemoryStore],
        origin: str,
        tamper: Callable[[list[dict[str, Any]]], list[dict[str, Any]]],
    ) -> None:
        super().__init__(network)
        self.origin = origin
        self.tamper = tamper

    def get_feed_page(self, url: str, origin: str, after: int, limit: int) -> FeedPage:
        page = super().get_feed_page(url, origin, after, limit)
        if origin != self.origin:
            return page
        return FeedPage(origin, self.tamper([dict(doc) for doc in page.entries]))


def network(*stores: MemoryStore) -> dict[str, MemoryStore]:
    return {URL[store.me]: store for store in stores}


def sync(store: MemoryStore, source: SyncSource, peer: str, **kwargs: Any) -> SyncReport:
    return sync_from_peer(source, URL[peer], store, NOW_MS, peer_id=peer, **kwargs)


def hashes(entries: Sequence[Entry]) -> list[str]:
    return [e.hash for e in entries]


def test_stores_satisfy_the_protocols() -> None:
    store: SyncStore = MemoryStore(A)
    source: SyncSource = NetworkSource({})
    assert store and source


def test_a_round_with_nothing_new_does_no_work_per_origin() -> None:
    """Unchanged origins cost one batched head look-up for the whole round: no keyring, no
    single head, no stored entry read (a node holding a thousand spaces syncs them idle)."""
    a, b = MemoryStore(A), MemoryStore(B)
    b.publish(build_feed(KEY_B, 2))
    b.publish(build_feed(KEY_C, 3))
    net = NetworkSource(network(a, b))
    assert sync(a, net, B).stored == {B: 2, C: 3}
    calls: list[str] = []
    for name in ("head", "keyring_for", "entry_at"):
        original = getattr(a, name)

        def counted(*args: Any, _name: str = name, _original: Any = original) -> Any:
            calls.append(_name)
            return _original(*args)

        setattr(a, name, counted)
    a.head_batches = 0
    again = sync(a, net, B)
    assert again.ok and again.total_stored == 0
    assert calls == [] and a.head_batches == 1
    # A new entry of one origin is pulled as before.
    b.feeds[C] = build_feed(KEY_C, 4)
    assert sync(a, net, B).stored == {C: 1}


# -- gossip ---------------------------------------------------------------------------------------


def test_chain_relays_a_distant_origin_and_verifies_it() -> None:
    a, b, c = MemoryStore(A), MemoryStore(B), MemoryStore(C)
    c.publish(build_feed(KEY_C, 5))
    b.publish(build_feed(KEY_B, 2))
    net = NetworkSource(network(a, b, c))

    first = sync(b, net, C)
    assert first.ok and first.stored == {C: 5}
    second = sync(a, net, B)  # A never talks to C
    assert second.ok
    assert second.stored == {B: 2, C: 5}
    assert hashes(a.feeds[C]) == hashes(c.feeds[C])
    assert hashes(a.feeds[B]) == hashes(b.feeds[B])
    # A second round finds nothing to do and makes no page requests.
    net.calls.clear()
    again = sync(a, net, B)
    assert again.ok and again.total_stored == 0
    assert [call[0] for call in net.calls] == ["heads"]


def test_own_origin_is_never_pulled_from_a_peer() -> None:
    a, b = MemoryStore(A), MemoryStore(B)
    feed = build_feed(KEY_A, 3)
    a.publish(feed[:1])
    b.publish(feed)  # B holds more of A's feed than A itself (e.g. A restored a backup)
    report = sync(a, NetworkSource(network(a, b)), B)
    assert report.skipped == {A: "unwanted"}
    assert len(a.feeds[A]) == 1


def test_direct_peers_only_stops_gossip() -> None:
    a = MemoryStore(A, direct_peers={B}, direct_only=True)
    b, c = MemoryStore(B), MemoryStore(C)
    b.publish(build_feed(KEY_B, 2))
    b.publish(build_feed(KEY_C, 3))  # B mirrors C
    report = sync(a, NetworkSource(network(a, b, c)), B)
    assert report.stored == {B: 2}
    assert report.skipped == {C: "unwanted"}
    assert C not in a.feeds


# -- relays cannot forge --------------------------------------------------------------------------


def _resign_third_with_b(docs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    for i, doc in enumerate(docs):
        if doc["seq"] == 3:
            docs[i] = sign_unchecked(KEY_B, {**doc, "body": event_body(666)})
    return docs


def _change_body_keep_sig(docs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    for doc in docs:
        if doc["seq"] == 2:
            doc["body"] = {**doc["body"], "title": "Free beer"}
    return docs


@pytest.mark.parametrize("tamper", [_resign_third_with_b, _change_body_keep_sig])
def test_relay_cannot_forge_another_origins_entries(
    tamper: Callable[[list[dict[str, Any]]], list[dict[str, Any]]],
) -> None:
    a, b = MemoryStore(A), MemoryStore(B)
    b.publish(build_feed(KEY_B, 2))
    b.publish(build_feed(KEY_C, 5))
    report = sync(a, TamperingSource(network(a, b), C, tamper), B)
    assert report.errors[C].reason == "bad-signature"
    assert not report.errors[C].transport
    assert C not in a.feeds  # the refused page left nothing, not even its valid first entries
    assert report.stored == {B: 2}  # other origins continue


def test_refused_page_stops_only_that_origin_and_keeps_earlier_pages() -> None:
    a, b = MemoryStore(A), MemoryStore(B)
    b.publish(build_feed(KEY_C, 6))
    report = sync(a, TamperingSource(network(a, b), C, _resign_third_with_b), B, page_limit=2)
    assert report.errors[C].reason == "bad-signature"
    assert [e.seq for e in a.feeds[C]] == [1, 2]


def test_relay_cannot_slip_in_an_entry_of_another_origin() -> None:
    def swap_origin(docs: list[dict[str, Any]]) -> list[dict[str, Any]]:
        forged = build_feed(KEY_B, 1)[0].to_dict()
        return [forged, *docs[1:]]

    a, b = MemoryStore(A), MemoryStore(B)
    b.publish(build_feed(KEY_C, 3))
    report = sync(a, TamperingSource(network(a, b), C, swap_origin), B)
    assert report.errors[C].reason == "wrong-origin"
    assert C not in a.feeds


def test_oversized_page_is_refused() -> None:
    class Greedy(NetworkSource):
        def get_feed_page(self, url: str, origin: str, after: int, limit: int) -> FeedPage:
            return super().get_feed_page(url, origin, after, limit * 3)

    a, b = MemoryStore(A), MemoryStore(B)
    b.publish(build_feed(KEY_C, 9))
    report = sync(a, Greedy(network(a, b)), B, page_limit=3)
    assert report.errors[C].reason == "page-too-large"
    assert C not in a.feeds


# -- forks ----------------------------------------------------------------------------------------


def _forked_feeds() -> tuple[list[Entry], list[Entry]]:
    """Two versions of C's feed that share seq 1-2 and differ from seq 3 on."""
    honest = build_feed(KEY_C, 5)
    other3 = build_entry(KEY_C, C, 3, honest[1].hash, NOW_MS - 500, "event.put", event_body(99))
    other = [*honest[:2], other3, *build_feed(KEY_C, 2, start_seq=4, prev=other3.hash)]
    return honest, other


def test_fork_is_detected_proven_and_quarantined() -> None:
    honest, other = _forked_feeds()
    a, b = MemoryStore(A), MemoryStore(B)
    a.publish(honest[:3])  # A already holds C up to the honest seq 3
    b.publish(other)  # B was served the other branch
    net = NetworkSource(network(a, b))

    report = sync(a, net, B)
    assert report.errors[C].reason == "fork"
    assert ("entry", URL[B], C, 3) in net.calls
    assert len(report.forks) == 1 and a.forks == report.forks
    first, second = verify_fork_proof(report.forks[0])
    assert {first.hash, second.hash} == {honest[2].hash, other[2].hash}
    assert a.is_quarantined(C)
    assert hashes(a.feeds[C]) == hashes(honest[:3])  # nothing of the other branch stored

    # From now on C gets nothing new, from anyone.
    c = MemoryStore(C)
    c.publish(honest)
    later = sync(a, NetworkSource(network(a, c)), C)
    assert later.skipped == {C: "quarantined"}
    assert len(a.feeds[C]) == 3


def test_fork_is_found_when_the_peer_is_behind_with_another_hash() -> None:
    honest, other = _forked_feeds()
    a, b = MemoryStore(A), MemoryStore(B)
    a.publish(honest)  # A is ahead (seq 5)
    b.publish(other[:3])  # B advertises seq 3 with the other hash
    report = sync(a, NetworkSource(network(a, b)), B)
    assert report.errors[C].reason == "fork"
    assert a.is_quarantined(C)
    assert report.forks[0]["seq"] == 3


def test_divergent_page_without_a_signed_entry_behind_it_is_not_a_fork() -> None:
    """A peer whose page does not follow our head but which serves our own entry at that seq is
    misbehaving itself; the origin is not quarantined."""
    honest = build_feed(KEY_C, 5)

    def break_link(docs: list[dict[str, Any]]) -> list[dict[str, Any]]:
        docs[0] = {**docs[0], "prev": "00" * 32}
        return docs

    a, b = MemoryStore(A), MemoryStore(B)
    a.publish(honest[:2])
    b.publish(honest)
    report = sync(a, TamperingSource(network(a, b), C, break_link), B)
    assert report.errors[C].reason == "bad-prev"
    assert not a.is_quarantined(C) and report.forks == []
    assert len(a.feeds[C]) == 2


def test_forged_fork_evidence_is_refused() -> None:
    """A relay cannot frame an origin: its 'other entry' must carry the origin's signature."""
    honest = build_feed(KEY_C, 4)
    a = MemoryStore(A)
    a.publish(honest[:2])

    class Framing(NetworkSource):
        def get_heads(self, url: str) -> dict[str, Head]:
            return {C: Head(4, "11" * 32)}

        def get_feed_page(self, url: str, origin: str, after: int, limit: int) -> FeedPage:
            return FeedPage(origin, [{**honest[2].to_dict(), "prev": "22" * 32}])

        def get_entry(self, url: str, origin: str, seq: int) -> dict[str, Any]:
            return sign_unchecked(KEY_B, {**honest[1].to_dict(), "body": event_body(7)})

    report = sync(a, Framing({}), B)
    assert report.errors[C].reason == "bad-signature"
    assert not a.is_quarantined(C)


def test_ingest_fork_proofs_verifies_before_recording() -> None:
    honest, other = _forked_feeds()
    a, b = MemoryStore(A), MemoryStore(B)
    a.publish(honest[:3])
    b.publish(other)
    proof = sync(a, NetworkSource(network(a, b)), B).forks[0]

    tampered = {**proof, "entries": [proof["entries"][0], {**proof["entries"][1], "ts": 1}]}
    same_twice = {**proof, "entries": [proof["entries"][0]] * 2}
    receiver = MemoryStore(B)
    receiver.blocked.add(A)
    blocked_proof = {**proof, "origin": A}
    report = ingest_fork_proofs(
        [tampered, same_twice, "garbage", blocked_proof, {**proof, "extra": 1}, proof], receiver
    )
    assert report.recorded == [C]
    assert {i: issue.reason for i, issue in report.refused.items()} == {
        0: "bad-fork-proof",
        1: "bad-fork-proof",
        2: "bad-fork-proof",
        4: "bad-fork-proof",
    }
    assert report.already_known == [A]
    assert receiver.is_quarantined(C)
    assert receiver.forks == [proof]  # our own rebuilt proof, which equals the canonical one
    # Ingesting again changes nothing.
    again = ingest_fork_proofs([proof], receiver)
    assert again.recorded == [] and again.already_known == [C]


# -- quarantine and blocking ----------------------------------------------------------------------


@pytest.mark.parametrize("mark", ["quarantined", "blocked"])
def test_quarantined_or_blocked_origin_gets_nothing_new(mark: str) -> None:
    a, b = MemoryStore(A), MemoryStore(B)
    b.publish(build_feed(KEY_B, 1))
    b.publish(build_feed(KEY_C, 4))
    getattr(a, mark).add(C)
    net = NetworkSource(network(a, b))
    report = sync(a, net, B)
    assert report.skipped == {C: mark}
    assert C not in a.feeds
    assert not any(call[0] == "page" and call[2] == C for call in net.calls)


# -- paging, progress, resume ---------------------------------------------------------------------


def test_paging_with_limit_and_progress_per_page() -> None:
    a, c = MemoryStore(A), MemoryStore(C)
    c.publish(build_feed(KEY_C, 25))
    net = NetworkSource(network(a, c))
    seen: list[SyncProgress] = []
    report = sync(a, net, C, page_limit=10, progress=seen.append)
    assert report.ok and report.pages == 3 and report.stored == {C: 25}
    pages = [call for call in net.calls if call[0] == "page"]
    assert [(call[3], call[4]) for call in pages] == [(0, 10), (10, 10), (20, 10)]
    assert [(p.origin, p.stored, p.seq, p.target) for p in seen] == [
        (C, 10, 10, 25),
        (C, 10, 20, 25),
        (C, 5, 25, 25),
    ]


def test_max_pages_bounds_a_round() -> None:
    a, c = MemoryStore(A), MemoryStore(C)
    c.publish(build_feed(KEY_C, 25))
    report = sync(a, NetworkSource(network(a, c)), C, page_limit=10, max_pages=2)
    assert report.stored == {C: 20}
    assert sync(a, NetworkSource(network(a, c)), C, page_limit=10).stored == {C: 5}


def test_crash_mid_sync_resumes_at_the_last_stored_page() -> None:
    a, c = MemoryStore(A), MemoryStore(C)
    feed = build_feed(KEY_C, 25)
    c.publish(feed)
    net = NetworkSource(network(a, c))
    a.crash_on_page = 3
    failed = sync(a, net, C, page_limit=10)
    assert failed.errors[C].reason == "store-failed"
    assert failed.errors[C].detail == "RuntimeError: disk full"
    assert [e.seq for e in a.feeds[C]] == list(range(1, 21))

    a.crash_on_page = None
    net.calls.clear()
    report = sync(a, net, C, page_limit=10)
    assert report.ok and report.stored == {C: 5}
    assert [call[3] for call in net.calls if call[0] == "page"] == [20]
    assert hashes(a.feeds[C]) == hashes(feed)  # complete, no duplicates


def test_key_rotation_in_one_page_applies_to_the_next() -> None:
    start = build_feed(KEY_C, 2)
    rotate = build_entry(
        KEY_C,
        C,
        3,
        start[1].hash,
        NOW_MS - 900_000,
        "key.rotate",
        rotation_body(KEY_C, KEY_C2, C, 3),
    )
    after = build_feed(KEY_C2, 4, start_seq=4, prev=rotate.hash, origin=C)
    a, c = MemoryStore(A), MemoryStore(C)
    c.publish([*start, rotate, *after])
    report = sync(a, NetworkSource(network(a, c)), C, page_limit=2)
    assert report.ok and report.stored == {C: 7}
    # And an entry after the rotation signed with the retired key is refused.
    stale = build_entry(KEY_C, C, 8, after[-1].hash, NOW_MS - 1000, "event.put", event_body(8))
    c.publish([stale])
    late = sync(a, NetworkSource(network(a, c)), C)
    assert late.errors[C].reason == "bad-signature"


def test_peer_serving_less_than_advertised_stops_quietly() -> None:
    class Boastful(NetworkSource):
        def get_heads(self, url: str) -> dict[str, Head]:
            return {C: Head(50, "33" * 32)}

    a, c = MemoryStore(A), MemoryStore(C)
    c.publish(build_feed(KEY_C, 5))
    report = sync(a, Boastful(network(a, c)), C)
    assert report.ok and report.stored == {C: 5}


# -- a failing peer -------------------------------------------------------------------------------


def test_unreachable_peer_fails_the_round() -> None:
    class Down(NetworkSource):
        def get_heads(self, url: str) -> dict[str, Head]:
            raise TransportError("connection-failed", "refused")

    report = sync(MemoryStore(A), Down({}), B)
    assert report.peer_failed and report.peer_error is not None
    assert report.peer_error.reason == "connection-failed" and report.peer_error.transport


UNKNOWN = "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK"


class Advertising(NetworkSource):
    """Advertises one origin more than it can serve (its pages answer 404 unknown-origin)."""

    def get_heads(self, url: str) -> dict[str, Head]:
        return {**super().get_heads(url), UNKNOWN: Head(1, "44" * 32)}


def test_an_origin_the_peer_cannot_serve_does_not_stop_the_others() -> None:
    a, b = MemoryStore(A), MemoryStore(B)
    b.publish(build_feed(KEY_B, 2))
    b.publish(build_feed(KEY_C, 2))
    report = sync(a, Advertising(network(a, b)), B)
    assert report.stored == {B: 2, C: 2}
    assert report.errors[UNKNOWN].reason == "http-error" and report.errors[UNKNOWN].transport
    assert report.peer_error is None


def test_timeout_ends_the_round_instead_of_timing_out_once_per_origin() -> None:
    class Stalling(Advertising):
        def get_feed_page(self, url: str, origin: str, after: int, limit: int) -> FeedPage:
            self.calls.append(("page", url, origin, after, limit))
            raise TransportError("timeout", "read timed out")

    a, b = MemoryStore(A), MemoryStore(B)
    b.publish(build_feed(KEY_B, 2))
    b.publish(build_feed(KEY_C, 2))
    net = Stalling(network(a, b))
    report = sync(a, net, B)
    assert report.peer_failed and report.peer_error is not None
    assert report.peer_error.reason == "timeout"
    assert report.stored == {} and report.errors == {}
    assert len([call for call in net.calls if call[0] == "page"]) == 1


def test_server_errors_end_the_round() -> None:
    class Overloaded(NetworkSource):
        def get_feed_page(self, url: str, origin: str, after: int, limit: int) -> FeedPage:
            raise PeerHTTPError(503, url)

    a, b = MemoryStore(A), MemoryStore(B)
    b.publish(build_feed(KEY_B, 2))
    b.publish(build_feed(KEY_C, 2))
    report = sync(a, Overloaded(network(a, b)), B)
    assert report.peer_error is not None and report.peer_error.reason == "http-error"
    assert report.errors == {}


class FailingStore(MemoryStore):
    """A store whose writes fail for one origin with an error that is no protocol refusal (the
    database refusing a value, a bug in a projector…)."""

    def __init__(self, me: str, failing: str) -> None:
        super().__init__(me)
        self.failing = failing

    def store_page(self, origin: str, entries: Sequence[Entry]) -> None:
        if origin == self.failing:
            raise ValueError("text fields cannot contain NUL\n[SQL: INSERT …]")
        super().store_page(origin, entries)


def test_a_page_that_cannot_be_stored_stops_only_its_origin() -> None:
    a, b, c = FailingStore(A, failing=B), MemoryStore(B), MemoryStore(C)
    c.publish(build_feed(KEY_C, 3))
    b.publish(build_feed(KEY_B, 2))
    net = NetworkSource(network(a, b, c))
    sync(b, net, C)

    report = sync(a, net, B)  # B serves B (sorted first) and C
    assert report.stored == {C: 3}
    assert hashes(a.feeds[C]) == hashes(c.feeds[C])
    assert B not in a.feeds
    issue = report.errors[B]
    assert issue.reason == "store-failed" and not issue.transport
    # One line, naming the error, for the peer list and the admin network page.
    assert issue.detail == "ValueError: text fields cannot contain NUL"
    assert isinstance(issue.cause, ValueError)  # for the node's log, with its traceback
    assert not report.peer_failed and not report.ok
