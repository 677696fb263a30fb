"""Sync fetches the next page while it verifies and stores the current one, and nothing more.

The prefetch is a guess taken from the unverified page; these tests pin down that it overlaps
with storing, that the source never serves two calls at once, that a refused page leaves no
trace of the page fetched after it, and that a failure of the prefetched request is reported
exactly like a failure of a plain request.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from typing import Any

from federation.entries import Entry
from federation.errors import TransportError
from federation.sync import FeedPage
from tests.federation.builders import KEY_C, C, build_feed
from tests.federation.test_sync import (
    A,
    MemoryStore,
    NetworkSource,
    TamperingSource,
    network,
    sync,
)


class Watched(NetworkSource):
    """Records when pages are fetched and how many calls are in flight at once."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lock = threading.Lock()
        self.in_flight = 0
        self.most_in_flight = 0
        self.events: list[tuple[str, int]] = []
        self.threads: set[str] = set()

    def get_feed_page(self, url: str, origin: str, after: int, limit: int) -> FeedPage:
        with self.lock:
            self.in_flight += 1
            self.most_in_flight = max(self.most_in_flight, self.in_flight)
            self.events.append(("fetch", after))
            self.threads.add(threading.current_thread().name)
        try:
            time.sleep(0.01)  # a peer takes a moment to answer
            return super().get_feed_page(url, origin, after, limit)
        finally:
            with self.lock:
                self.in_flight -= 1


class SlowStore(MemoryStore):
    """Storing takes a moment, like a database transaction."""

    def __init__(self, me: str, source: Watched) -> None:
        super().__init__(me)
        self.source = source

    def store_page(self, origin: str, entries: Sequence[Entry]) -> None:
        time.sleep(0.03)
        super().store_page(origin, entries)
        with self.source.lock:
            self.source.events.append(("stored", entries[-1].seq))


def _corrupt_from(seq: int):  # type: ignore[no-untyped-def]
    def tamper(docs: list[dict[str, Any]]) -> list[dict[str, Any]]:
        for doc in docs:
            if doc["seq"] >= seq:
                doc["sig"] = ("A" if doc["sig"][0] != "A" else "B") + doc["sig"][1:]
        return docs

    return tamper


def test_the_next_page_is_fetched_while_this_one_is_stored() -> None:
    c = MemoryStore(C)
    feed = build_feed(KEY_C, 40)
    c.publish(feed)
    source = Watched({})
    a = SlowStore(A, source)
    source.network = network(a, c)
    report = sync(a, source, C, page_limit=10)
    assert report.ok and report.stored == {C: 40}
    assert [e.hash for e in a.feeds[C]] == [e.hash for e in feed]
    assert source.most_in_flight == 1  # never two calls at once
    # Each next page was asked for before the previous one was stored.
    order = source.events
    for after in (10, 20, 30):
        assert order.index(("fetch", after)) < order.index(("stored", after)), order
    assert len(source.threads) == 2  # the first page in the caller's thread, the rest prefetched
    assert [call[3] for call in source.calls if call[0] == "page"] == [0, 10, 20, 30]


def test_a_refused_page_leaves_no_trace_of_the_page_fetched_after_it() -> None:
    a, c = MemoryStore(A), MemoryStore(C)
    c.publish(build_feed(KEY_C, 30))
    source = TamperingSource(network(a, c), C, _corrupt_from(11))
    report = sync(a, source, C, page_limit=10)
    assert report.errors[C].reason == "bad-signature"
    assert [e.seq for e in a.feeds[C]] == list(range(1, 11))
    # The guess for the page after the refused one went out, and its answer was dropped.
    assert [call[3] for call in source.calls if call[0] == "page"] == [0, 10, 20]
    assert a.pages_stored == 1


def test_a_failed_prefetch_is_reported_like_a_failed_fetch() -> None:
    class Flaky(NetworkSource):
        def get_feed_page(self, url: str, origin: str, after: int, limit: int) -> FeedPage:
            if after == 10:
                raise TransportError("bad-response", "garbled page")
            return super().get_feed_page(url, origin, after, limit)

    a, c = MemoryStore(A), MemoryStore(C)
    c.publish(build_feed(KEY_C, 30))
    report = sync(a, Flaky(network(a, c)), C, page_limit=10)
    assert report.errors[C].reason == "bad-response" and report.errors[C].transport
    assert report.stored == {C: 10}
    # The next round resumes after the stored page.
    assert sync(a, NetworkSource(network(a, c)), C, page_limit=10).stored == {C: 20}


def test_no_prefetch_past_the_advertised_head_or_the_page_budget() -> None:
    a, c = MemoryStore(A), MemoryStore(C)
    c.publish(build_feed(KEY_C, 25))
    source = NetworkSource(network(a, c))
    assert sync(a, source, C, page_limit=10, max_pages=2).stored == {C: 20}
    assert [call[3] for call in source.calls if call[0] == "page"] == [0, 10]
    source.calls.clear()
    assert sync(a, source, C, page_limit=10).stored == {C: 5}
    assert [call[3] for call in source.calls if call[0] == "page"] == [20]
