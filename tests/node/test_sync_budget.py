"""One slow peer must not stall sync with everyone (the round budget and the pool of sync threads).

The slow peer is a real node behind a wrapping transport adapter: every request to it costs
``DELAY`` seconds of the syncing node's monotonic clock (a fake one: no test sleeps), and its feed
pages are cut to ``PAGE`` entries. Its first feed page is held back until the honest peer's
entry is stored, or for at most a few real seconds: with the rounds run one after the other (slow
peer first) that wait runs out and the honest entry arrives only after the whole slow round.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import requests

from node import feedstore
from node.clock import aware
from node.models import Event, Peer
from node.network.syncing import sync_due
from tests.network import FlaskAdapter, network
from tests.support import FakeClock

EVENT = {"title": "Open day", "start": "2026-12-05T10:00", "end": "2026-12-05T16:00"}
DELAY = 9.0  # fake seconds per request to the slow peer
PAGE = 5  # entries per feed page the slow peer serves
BUDGET = 30  # the default sync_round_budget
GATE_TIMEOUT = 5.0  # real seconds; only reached when the rounds do not run side by side


class SlowAdapter(FlaskAdapter):
    """A peer that answers every request ``DELAY`` fake seconds late and serves small pages."""

    def __init__(self, app: Any, monotonic: FakeClock, gate: threading.Event) -> None:
        super().__init__(app)
        self.monotonic, self.gate = monotonic, gate
        self.feed_pages = 0

    def send(self, request: requests.PreparedRequest, *args: Any, **kwargs: Any) -> Any:
        parts = urlsplit(request.url or "")
        if parts.path.startswith("/federation/v1/feeds/"):
            if self.feed_pages == 0:
                self.gate.wait(GATE_TIMEOUT)
            self.feed_pages += 1
            query = dict(parse_qsl(parts.query))
            query["limit"] = str(PAGE)
            request.url = urlunsplit(parts._replace(query=urlencode(query)))
        self.monotonic.advance(DELAY)
        return super().send(request, *args, **kwargs)


def _add_event(net: Any, name: str, **extra: Any) -> str:
    response = net[name].client.post(
        "/api/v1/events", json={**EVENT, **extra}, headers=net[name].auth()
    )
    assert response.status_code == 201, response.get_json()
    return str(response.get_json()["id"])


def _head(net: Any, name: str, origin: str) -> int:
    with net[name].node.db.read() as session:
        return feedstore.head(session, origin).seq


def test_a_slow_peer_neither_delays_an_honest_one_nor_holds_sync_past_its_budget(
    tmp_path: Path, clock: FakeClock, database_url: str | None
) -> None:
    with network(tmp_path, clock) as net:
        net.add("x", database_url=database_url)  # the node that syncs, on each backend
        for name in ("p", "q"):
            net.add(name)
        net.peer("x", "p")
        net.peer("x", "q")
        net.settle()
        # The slow peer comes first in id order, so a one-after-the-other round reaches it first.
        slow, honest = sorted(("p", "q"), key=lambda n: net[n].id)
        for number in range(6 * PAGE):
            _add_event(net, slow, title=f"Talk {number}")
        event_id = _add_event(net, honest)
        mono = FakeClock(0.0)
        net["x"].node.monotonic = mono
        honest_stored = threading.Event()
        adapter = SlowAdapter(net[slow].app, mono, honest_stored)
        net.adapters[net[slow].url] = adapter  # the routes are shared by every node
        seen: dict[str, Any] = {}

        def on_page(peer_id: str, step: Any) -> None:
            if peer_id == net[honest].id and not honest_stored.is_set():
                seen["at"], seen["slow_pages"] = mono(), adapter.feed_pages
                honest_stored.set()

        slow_before = _head(net, "x", net[slow].id)
        result = sync_due(net["x"].node, force=True, progress=on_page)

        # The honest entry came in the same call, while the slow peer's first page was pending.
        with net["x"].node.db.read() as session:
            assert session.get(Event, (net[honest].id, event_id)) is not None
        assert seen["slow_pages"] <= 1 and seen["at"] <= DELAY
        # The slow round stopped after the page during which its budget ran out.
        report = result.reports[net[slow].id]
        assert report.out_of_time
        assert not report.peer_failed
        assert 2 <= report.pages <= BUDGET // DELAY
        assert BUDGET <= mono() <= BUDGET + 2 * DELAY
        stored = _head(net, "x", net[slow].id)
        assert stored == slow_before + report.total_stored  # the cursor is where it stopped
        assert stored < _head(net, slow, net[slow].id)
        with net["x"].node.db.read() as session:
            peer = session.get(Peer, net[slow].id)
            assert peer.failures == 1  # a soft failure: pushed back, hints no longer pull early
            assert (peer.last_error or "").startswith("round-budget")
            assert aware(peer.next_try) >= net["x"].node.now()
            assert session.get(Peer, net[honest].id).failures == 0

        # Later rounds go on from the cursor until the slow peer's feed is complete.
        for _ in range(10):
            if not sync_due(net["x"].node, force=True, only=net[slow].id).stored:
                break
        assert _head(net, "x", net[slow].id) == _head(net, slow, net[slow].id)
        with net["x"].node.db.read() as session:
            assert session.get(Peer, net[slow].id).failures == 0
