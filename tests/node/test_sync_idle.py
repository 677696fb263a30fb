"""Idle rounds and bootstrap: conditional heads (a 304 round does no per-origin work and never
hides a change), and the new-origin rules (an honest relay drains its backlog one cap per tick,
a relay inventing origins stays within ``max_origins_per_relay``)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import requests
from sqlalchemy import func, select

from federation.canonical import parse_strict
from federation.entries import build_entry, parse_entry
from federation.keys import NodeKey
from node import feedstore
from node.jobs import sync_job
from node.models import FeedEntry, Origin, Peer
from node.network.syncing import MAX_NEW_ORIGINS_PER_ROUND, NodeSyncStore, introduced_by, sync_due
from node.services.publishing import publish
from tests.bench.network_mirror import event, space_feed
from tests.network import FlaskAdapter, Network, network
from tests.support import FakeClock

HEADS = "/federation/v1/heads"
FORKS = "/federation/v1/forks"


def _mirror(net: Network, name: str, spaces: range, events: int = 1) -> list[str]:
    """Store spaces ``spaces`` (network_mirror's signed feeds) at node ``name``, as relayed."""
    clock = net.clock
    ts, today = int(clock.now * 1000) - 60_000, datetime.fromtimestamp(clock.now, UTC)
    store = NodeSyncStore(net[name].node)
    origins = []
    for i in spaces:
        origin, entries = space_feed(i, events, ts, today)
        store.store_page(origin, entries)
        origins.append(origin)
    return origins


def _append(net: Network, name: str, i: int, origin: str) -> None:
    """One more signed event of mirrored space ``i`` stored at node ``name``."""
    key = NodeKey.from_seed(i.to_bytes(4, "big") * 8)  # as network_mirror.space_feed signs
    with net[name].node.db.read() as session:
        head = feedstore.head(session, origin)
    today = datetime.fromtimestamp(net.clock.now, UTC)
    body = event(i, 99, today)
    entry = build_entry(
        key, origin, head.seq + 1, head.hash, int(net.clock.now * 1000), "event.put", body
    )
    NodeSyncStore(net[name].node).store_page(origin, [entry])


def _held(net: Network, name: str, origins: list[str]) -> int:
    """How many of ``origins`` node ``name`` holds whole (every entry of the mirrored feed)."""
    with net[name].node.db.read() as session:
        rows = session.execute(
            select(FeedEntry.origin, func.count())
            .where(FeedEntry.origin.in_(origins))
            .group_by(FeedEntry.origin)
        )
        return sum(1 for _origin, count in rows if count >= 3)


def _peer(net: Network, name: str, other: str) -> Peer:
    with net[name].node.db.read() as session:
        row = session.get(Peer, net[other].id)
        assert row is not None
        return row


def test_heads_validator_answers_304_and_changes_with_any_head(
    tmp_path: Path, clock: FakeClock
) -> None:
    with network(tmp_path, clock) as net:
        net.add("a")
        mirrored = _mirror(net, "a", range(3))
        client = net["a"].client
        first = client.get(HEADS)
        etag = first.headers["ETag"]
        assert first.status_code == 200 and etag.startswith('"')
        again = client.get(HEADS, headers={"If-None-Match": etag})
        assert again.status_code == 304 and again.get_data() == b""
        assert client.get(HEADS, headers={"If-None-Match": '"other"'}).status_code == 200
        seen = {etag}
        # A new entry at a mirrored origin (the last of three) changes the validator...
        _append(net, "a", 2, mirrored[2])
        moved = client.get(HEADS, headers={"If-None-Match": etag})
        assert moved.status_code == 200 and moved.headers["ETag"] not in seen
        seen.add(moved.headers["ETag"])
        # ...and so does one of the node's own.
        with net["a"].node.db.write() as session:
            publish(session, net["a"].node, "event.put", {"id": "x", **_EVENT})
        own = client.get(HEADS, headers={"If-None-Match": moved.headers["ETag"]})
        assert own.status_code == 200 and own.headers["ETag"] not in seen


_EVENT = {
    "title": "Open day",
    "start": "2026-12-05T10:00",
    "end": "2026-12-05T16:00",
    "timezone": "Europe/Rome",
}


def test_forks_list_is_conditional(tmp_path: Path, clock: FakeClock) -> None:
    with network(tmp_path, clock) as net:
        net.add("a")
        first = net["a"].client.get(FORKS)
        assert first.status_code == 200 and first.get_json() == {"forks": []}
        etag = first.headers["ETag"]
        assert net["a"].client.get(FORKS, headers={"If-None-Match": etag}).status_code == 304


def test_an_idle_round_is_two_304s_and_a_new_entry_still_comes_through(
    tmp_path: Path, clock: FakeClock, database_url: str | None
) -> None:
    with network(tmp_path, clock) as net:
        net.add("a")
        net.add("b", database_url=database_url)  # the node that syncs, on each backend
        net.peer("a", "b")
        _mirror(net, "a", range(5))
        net.settle()
        adapter = net.adapters["http://a.test"]
        calls = adapter.calls
        report = sync_due(net["b"].node, force=True).reports[net["a"].id]
        # One conditional heads request and one conditional forks request, nothing per origin.
        assert report.unchanged and report.heads == {} and report.ok
        assert adapter.calls - calls == 2
        assert _peer(net, "b", "a").heads_etag is not None
        # A new entry at a: the validator no longer matches and the round pulls it.
        with net["a"].node.db.write() as session:
            publish(session, net["a"].node, "event.put", {"id": "late", **_EVENT})
        report = sync_due(net["b"].node, force=True).reports[net["a"].id]
        assert not report.unchanged and report.stored == {net["a"].id: 1}


def test_a_round_that_left_origins_behind_keeps_no_validator(
    tmp_path: Path, clock: FakeClock
) -> None:
    with network(tmp_path, clock) as net:
        net.add("a")
        _mirror(net, "a", range(MAX_NEW_ORIGINS_PER_ROUND + 20))
        net.add("b")
        net.peer("a", "b")
        sync_due(net["b"].node, force=True, only=net["a"].id)
        row = _peer(net, "b", "a")
        # Capped: no validator (the next round must look again), and due again at once.
        assert row.heads_etag is None
        assert row.next_try is not None and row.next_try.replace(tzinfo=UTC) <= net[
            "b"
        ].node.now().astimezone(UTC)
        report = sync_due(net["b"].node, only=net["a"].id).reports[net["a"].id]
        assert not report.unchanged and report.total_stored > 0
        assert _peer(net, "b", "a").heads_etag is not None


def _tick(net: Network, names: str) -> None:
    """One second of simulated time: each named node runs its sync job, outboxes drain."""
    net.clock.advance(1)
    for name in names:
        sync_job(net[name].node)
    net.deliver()


def test_an_honest_relay_is_learned_one_cap_per_tick(tmp_path: Path, clock: FakeClock) -> None:
    spaces = 3 * MAX_NEW_ORIGINS_PER_ROUND + 50
    with network(tmp_path, clock) as net:
        net.add("m")
        origins = _mirror(net, "m", range(spaces))
        net.add("n")
        net.peer("m", "n")
        ticks = 0
        while _held(net, "n", origins) < spaces and ticks < 30:
            _tick(net, "n")
            ticks += 1
        # ceil(350 / 100) rounds, one per sync tick (the first already ran when n joined):
        # without the rule it took one sync_interval (60 s) per cap.
        assert _held(net, "n", origins) == spaces
        assert ticks <= spaces // MAX_NEW_ORIGINS_PER_ROUND + 1


def test_a_relay_inventing_origins_stays_bounded(
    tmp_path: Path, clock: FakeClock, database_url: str | None
) -> None:
    bound = 150
    with network(tmp_path, clock, max_origins_per_relay=bound) as net:
        net.add("m")
        honest = _mirror(net, "m", range(120))
        net.add("h")
        invented = _mirror(net, "h", range(10_000, 10_400))
        net.add("n", database_url=database_url)
        net.peer("h", "n")
        net.peer("m", "n")
        worst = 0
        for tick in range(40):
            _tick(net, "n")
            with net["n"].node.db.read() as session:
                worst = max(worst, introduced_by(session, net["h"].id))
            if tick == 20:
                clock.advance(120)  # past a sync_interval: the bounded relay is due again
        with net["n"].node.db.read() as session:
            held_invented = session.scalar(
                select(func.count()).select_from(Origin).where(Origin.id.in_(invented))
            )
            assert introduced_by(session, net["h"].id) == held_invented
        # Over every round the invented origins never went beyond the bound, and the honest
        # relay's origins all came through beside them.
        assert worst == held_invented == bound
        assert _held(net, "n", honest) == len(honest)


def test_origins_another_peer_introduced_do_not_count_against_a_relay(
    tmp_path: Path, clock: FakeClock
) -> None:
    with network(tmp_path, clock, max_origins_per_relay=50) as net:
        net.add("m")
        shared = _mirror(net, "m", range(40))
        net.add("r")
        _mirror(net, "r", range(40))  # r relays the same forty
        net.add("n")
        net.peer("m", "n")
        for _ in range(3):
            _tick(net, "n")
        net.peer("r", "n")
        sync_due(net["n"].node, force=True)
        with net["n"].node.db.read() as session:
            assert introduced_by(session, net["m"].id) == len(shared)
            assert introduced_by(session, net["r"].id) == 0


def test_an_unblocked_origin_is_pulled_at_the_next_round(tmp_path: Path, clock: FakeClock) -> None:
    from node.network import blocking

    with network(tmp_path, clock) as net:
        net.add("m")
        [origin] = _mirror(net, "m", range(1))
        net.add("n")
        with net["n"].node.db.write() as session:
            blocking.block(session, net["n"].node, origin, "test")
        net.peer("m", "n")
        sync_due(net["n"].node, force=True)
        assert _held(net, "n", [origin]) == 0
        assert _peer(net, "n", "m").heads_etag is not None  # m's heads are all n looked at
        with net["n"].node.db.write() as session:
            blocking.unblock(session, net["n"].node, origin)
        # m's heads did not change, but n now wants more of them: no 304 hides the origin.
        report = sync_due(net["n"].node, force=True).reports[net["m"].id]
        assert not report.unchanged
        assert _held(net, "n", [origin]) == 1


class _RacingAdapter(FlaskAdapter):
    """m's app, but the first request for ``origin``'s feed lets ``race`` run first: another
    sync thread of the puller storing part of that feed from another peer meanwhile."""

    def __init__(self, app: Any, origin: str, race: Callable[[], None]) -> None:
        super().__init__(app)
        self.origin, self.race = origin, race

    def send(self, request: requests.PreparedRequest, *args: Any, **kwargs: Any) -> Any:
        if self.origin in unquote(request.url or "") and "/feeds/" in (request.url or ""):
            race, self.race = self.race, lambda: None
            race()
        return super().send(request, *args, **kwargs)


def test_a_round_that_lost_an_origin_to_another_thread_keeps_no_validator(
    tmp_path: Path, clock: FakeClock
) -> None:
    with network(tmp_path, clock) as net:
        net.add("m")
        [origin] = _mirror(net, "m", range(1))
        net.add("n")
        net.peer("m", "n")
        sync_due(net["n"].node, force=True)
        assert _peer(net, "n", "m").heads_etag is not None
        # m's copy moves on by two entries; another peer of n's holds only the first of them.
        _append(net, "m", 0, origin)
        _append(net, "m", 0, origin)
        with net["m"].node.db.read() as session:
            ring = feedstore.keyring(session)
            raws = feedstore.page_raw(session, origin, 3, 1)
        fourth = [parse_entry(parse_strict(raw), ring, checked=True) for raw in raws]

        def other_thread_stores_the_fourth() -> None:
            NodeSyncStore(net["n"].node).store_page(origin, fourth)

        net.adapters["http://m.test"] = _RacingAdapter(
            net["m"].app, origin, other_thread_stores_the_fourth
        )
        report = sync_due(net["n"].node, force=True).reports[net["m"].id]
        # The lost race is no fault of m's, but n is still one entry behind m's head...
        assert report.ok and report.total_stored == 0
        with net["n"].node.db.read() as session:
            assert feedstore.head(session, origin).seq == 4
        # ...so the next round asks in full, not "unchanged?", and pulls the fifth.
        report = sync_due(net["n"].node, force=True).reports[net["m"].id]
        assert not report.unchanged and report.stored == {origin: 1}
