"""Benchmark: how fast one new event reaches every node of an in-process network of up to a
thousand nodes, hints on and off, and how many messages each node sends for it.

Run from the repository root: ``.venv/bin/python tests/bench/bench_convergence.py
[--nodes 1000] [--degree-min 3] [--degree-max 5] [--seed 7] [--settle copy|store|pull]
[--no-hints-off]``

The network: ``--nodes`` real nodes in this process (``tests.network.Network``: each a
``create_app()`` node with its own SQLite database, on /dev/shm when there is one, reached
through a ``requests`` adapter that calls the other node's Flask app: real HTTP handling,
signatures, verification and storage, no sockets) on one fake clock. Every node starts from a
copy of one migrated, empty database file (the migrations run once, not once per node); its
key, identity and profile are its own, made by ``init_node`` as always. The peering graph is a
random graph in which each node has ``--degree-min`` to ``--degree-max`` peers, drawn with a
seeded RNG and redrawn until it is simple and connected; every link is made with an invite code
(``create_invite`` / ``join``) as two admins would.

Before anything is measured the network is settled: every node holds every other node's feed
(profile and peer lists), as it would after running for a while. Pulling that through sync is
N² feed requests (a 50-node network takes a minute). With ``--settle store`` each node stores
the feeds it lacks directly with ``feedstore.store_verified`` (the function its sync store calls
for a verified page; each entry's signature checked once by ``parse_entry``): ~6 ms per (node,
origin) pair, hours at 1,000 nodes. By default (``--settle copy``) only two reference nodes store
them so, and every other node's database receives the same rows by ``ATTACH`` + ``INSERT …
SELECT`` (``tests/bench/settle_copy.py``: its own per-node columns kept or computed as storing
would; ``test_bench_settle_copy.py`` checks the result equals storing's). Either way real sync
rounds then run (hints delivered, every node pulls every peer) until one moves nothing: that
last round shows the state is what settling would have left. ``--settle pull`` settles by pulls
alone.

How the simulation maps to time
-------------------------------
A node does federation work only in its scheduler jobs (``node/jobs.py``): the *sync job* runs
``sync_due`` (pull from every peer whose ``next_try`` has come) and the *outbox job* runs
``drain`` (send due inbox messages, e.g. the "heads changed" hint). The simulation calls those job
functions themselves (``sync_job``, ``outbox_job``: lease, work, release) at the intervals
``node.jobs.add_jobs`` declares, so it follows whatever the node is configured to do.

The simulation is event-driven on the fake clock: every node runs each job at its own phase
(drawn uniformly in one interval: nodes were started at unrelated moments) and then every
interval after that; jobs run in time order, the clock set to the job's time. The work a job does
takes **zero** simulated time (calls between in-process nodes are instantaneous), so the figures
are scheduling latency: how long an entry waits for the jobs that move it, not CPU time. Before
each measurement every peer link's next periodic pull is set uniformly in
``[now, now + sync_interval)``: links were last pulled at unrelated moments.

At t = 0 one node publishes an event (``add_event``: signed entry plus queued hints). Then:

- hints ON: a delivered hint sets the receiver's ``next_try`` for the sender to now, so the
  receiver pulls at its next sync-job tick; periodic pulls continue as usual.
- hints OFF: the same jobs run, but ``heads.changed`` messages are dropped on the wire (the
  sender sees 202, the receiver never sees them); only the periodic pulls (every
  ``sync_interval`` s per link) move the event.

A node "holds" the event once its copy of the publisher's feed reaches the event's seq. The
simulation runs on for ``TAIL_TICKS`` job ticks after the last arrival, so that the hints the
last nodes send (to peers that already hold the event) and the pulls they cause are counted.
Every request is counted against the node whose job sent it (inbox posts, heads, feed and forks
requests): the messages per node for the event, mean and max, must stay O(peers), not O(N). The
window includes the periodic pulls that fall in it (each link every ``sync_interval``).

Printed: the setup's cost (time per node and per link, memory), what one idle job tick costs a
node (CPU, SQL statements, writes: there must be none), the simulated time until all nodes hold
the event, the sync-job ticks that took ("rounds"), the messages, each hop distance's latest
arrival, and the targets for hints ON: every node within 2 s per hop of its distance from the
publisher and all within (⌈log2 N⌉ + 2) hops' time (2 s each). The simulation calls every node's
job functions at every tick: a job with nothing due returns after its own due check (one read),
so nothing is skipped on the simulation's guess.
"""

from __future__ import annotations

import argparse
import heapq
import io
import logging
import math
import random
import sys
import tempfile
import time
from collections import Counter, deque
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # run as a plain script

import requests
from requests.adapters import BaseAdapter
from sqlalchemy import event

from federation.canonical import parse_strict
from federation.entries import parse_entry
from node import feedstore
from node.db import Database
from node.feedstore import head
from node.jobs import add_jobs, outbox_job, sync_job
from node.migrate import upgrade
from node.models import OutboxMessage, Peer
from node.services.events import add_event
from tests.bench.common import say
from tests.bench.settle_copy import FEED_TABLES, copy_mirror, table_counts, tables_changed
from tests.network import Network
from tests.support import FakeClock

SECONDS_PER_HOP = 2.0
MAX_SIMULATED = 6 * 3600.0
TAIL_TICKS = 3  # job ticks run on after the last arrival, to count the last hints' pulls


class RecordingScheduler:
    """Stands in for APScheduler: records each job's interval as ``add_jobs`` declares it."""

    def __init__(self) -> None:
        self.intervals: dict[str, float] = {}

    def add_job(self, func: Any, trigger: str, **kwargs: Any) -> None:
        seconds = kwargs.get("seconds", 0) + 60 * kwargs.get("minutes", 0)
        seconds += 3600 * kwargs.get("hours", 0)
        self.intervals[kwargs["id"]] = float(seconds)


def random_graph(count: int, low: int, high: int, rng: random.Random) -> list[tuple[int, int]]:
    """A random simple connected graph whose every node has ``low``–``high`` peers.

    Each node draws its degree uniformly in ``[low, high]`` (one is nudged if the sum is odd),
    then the pairing model joins the stubs; drawn again until the graph is simple and connected.
    ``low == high`` gives a random regular graph.
    """
    if low < 1 or high < low or high >= count:
        raise SystemExit("need 1 ≤ degree-min ≤ degree-max < nodes")
    for _ in range(10_000):
        degrees = [rng.randint(low, high) for _ in range(count)]
        if sum(degrees) % 2:
            movable = [n for n, d in enumerate(degrees) if d < high] or [
                n for n, d in enumerate(degrees) if d > low
            ]
            if not movable:
                raise SystemExit("nodes × degree must be even for a regular graph")
            n = rng.choice(movable)
            degrees[n] += 1 if degrees[n] < high else -1
        stubs = [n for n in range(count) for _ in range(degrees[n])]
        rng.shuffle(stubs)
        pairs = zip(stubs[::2], stubs[1::2], strict=True)
        edges = {(min(a, b), max(a, b)) for a, b in pairs}
        if len(edges) == len(stubs) // 2 and all(a != b for a, b in edges):
            result = sorted(edges)
            if max(distances(count, result, 0)) < math.inf:
                return result
    raise SystemExit("could not draw a connected simple graph")


def distances(count: int, edges: list[tuple[int, int]], source: int) -> list[float]:
    """Hop distance of every node from ``source`` (breadth-first)."""
    links: dict[int, list[int]] = {n: [] for n in range(count)}
    for a, b in edges:
        links[a].append(b)
        links[b].append(a)
    dist = [math.inf] * count
    dist[source] = 0
    queue = deque([source])
    while queue:
        here = queue.popleft()
        for there in links[here]:
            if dist[there] == math.inf:
                dist[there] = dist[here] + 1
                queue.append(there)
    return dist


class Wire:
    """What the simulated network's wire sees: who is sending (the node whose job runs) and how
    many requests of each kind each node sent; whether ``heads.changed`` hints are dropped."""

    def __init__(self) -> None:
        self.sender: int | None = None
        self.drop_hints = False
        self.dropped = 0
        self.sent: dict[int, Counter[str]] = {}

    def reset(self) -> None:
        self.dropped = 0
        self.sent = {}


def request_kind(request: requests.PreparedRequest) -> str:
    """``inbox``, ``heads``, ``feed``, ``forks`` or ``other``, from the method and path."""
    path = urlsplit(request.url or "").path
    if request.method == "POST" and path.endswith("/federation/v1/inbox"):
        return "inbox"
    if path == "/federation/v1/heads":
        return "heads"
    if path.startswith("/federation/v1/feeds/"):
        return "feed"
    if path == "/federation/v1/forks":
        return "forks"
    return "other"


class WireTap(BaseAdapter):
    """Wraps a node's in-process adapter: counts each request against the node sending it and,
    when ``wire.drop_hints``, lets ``heads.changed`` inbox messages vanish (the sender sees 202,
    as if a proxy accepted and lost them)."""

    def __init__(self, inner: BaseAdapter, wire: Wire) -> None:
        super().__init__()
        self.inner = inner
        self.wire = wire

    def send(  # type: ignore[override]  # passes requests' keywords on as they come
        self, request: requests.PreparedRequest, **kwargs: Any
    ) -> requests.Response:
        wire = self.wire
        kind = request_kind(request)
        if wire.sender is not None:
            wire.sent.setdefault(wire.sender, Counter())[kind] += 1
        body = request.body if isinstance(request.body, bytes) else b""
        if (
            wire.drop_hints
            and kind == "inbox"
            and b'"type":"heads.changed"' in body.replace(b" ", b"")
        ):
            wire.dropped += 1
            response = requests.Response()
            response.status_code = 202
            response.headers["Content-Type"] = "application/json"
            response.raw = io.BytesIO(b"{}")
            response.url = request.url or ""
            response.request = request
            return response
        return self.inner.send(request, **kwargs)

    def close(self) -> None:
        self.inner.close()


def tap(net: Network) -> Wire:
    """Put a :class:`WireTap` in front of every node's adapter (routes are shared)."""
    wire = Wire()
    for url, adapter in list(net.adapters.items()):
        net.adapters[url] = WireTap(adapter, wire)  # type: ignore[assignment]
    return wire


@dataclass
class Outcome:
    """One measurement: when each node first held the event (simulated seconds after t = 0)."""

    arrival: dict[int, float] = field(default_factory=dict)
    end: float = 0.0
    sync_runs: int = 0
    job_calls: int = 0
    hints_sent: int = 0
    hints_dropped: int = 0
    sent: dict[int, Counter[str]] = field(default_factory=dict)
    window: float = 0.0


def next_hops(count: int, edges: list[tuple[int, int]]) -> dict[int, list[int]]:
    """Origin → for each node, its next hop towards the origin on a shortest path (the lowest
    numbered such peer: breadth-first from the origin, neighbours in order)."""
    links: dict[int, list[int]] = {n: [] for n in range(count)}
    for a, b in edges:
        links[a].append(b)
        links[b].append(a)
    towards: dict[int, list[int]] = {}
    for origin in range(count):
        parent = [-1] * count
        parent[origin] = origin
        queue = deque([origin])
        while queue:
            here = queue.popleft()
            for there in sorted(links[here]):
                if parent[there] < 0:
                    parent[there] = here
                    queue.append(there)
        towards[origin] = parent
    return towards


def own_feeds(net: Network, names: list[str]) -> dict[int, list[Any]]:
    """Every node's own feed, read from its database and verified once (``parse_entry``)."""
    feeds: dict[int, list[Any]] = {}
    for index, name in enumerate(names):
        node = net[name].node
        with node.db.read() as session:
            ring = feedstore.keyring(session)
            raws = feedstore.page_raw(session, node.node_id, 0, 1_000_000)
        feeds[index] = [parse_entry(parse_strict(raw), ring, checked=True) for raw in raws]
    return feeds


def mirror(
    net: Network,
    names: list[str],
    edges: list[tuple[int, int]],
    only: list[int] | None = None,
    feeds: dict[int, list[Any]] | None = None,
) -> int:
    """Give every node (or the nodes ``only``) every other node's feed, as settling would,
    without the N² pulls.

    Each origin's entries are read from its own database and verified once (``parse_entry``:
    shape, signature); each node then stores every feed it lacks through
    ``feedstore.store_verified`` — the function its sync store calls for a verified page — in
    one transaction, relayed by its peer on a shortest path towards the origin (the peer a real
    pull would most likely have got it from). Returns the entries stored. A real settling round
    afterwards (``settle``) checks that nothing is left to move.
    """
    feeds = own_feeds(net, names) if feeds is None else feeds
    towards = next_hops(len(names), edges)
    ids = [net[name].id for name in names]
    stored = 0
    for done, index in enumerate(range(len(names)) if only is None else only, 1):
        node = net[names[index]].node
        with node.db.write() as session:
            for origin, entries in feeds.items():
                if origin == index:
                    continue
                held = feedstore.head(session, ids[origin]).seq
                rest = [e for e in entries if e.seq > held]
                feedstore.store_verified(
                    session,
                    ids[origin],
                    rest,
                    None,
                    relayed_by=ids[towards[origin][index]],
                    now=node.now(),
                )
                stored += len(rest)
        if done % 100 == 0:
            say(f"  {done}/{len(names)} nodes hold every feed ({rss_mb():.0f} MB RSS)")
    return stored


def database_file(net: Network, name: str) -> Path:
    """The SQLite file of node ``name``."""
    return Path(str(net[name].node.db.engine.url.database))


def copy_settle(net: Network, names: list[str], edges: list[tuple[int, int]]) -> int:
    """``mirror`` for two reference nodes (the first two), then every other node's rows copied
    from theirs (``settle_copy.copy_mirror``). Refuses when storing wrote a table the copy does
    not know (a feed type projected elsewhere): the copy would then leave it out. Returns the
    entries stored or copied."""
    first, second = database_file(net, names[0]), database_file(net, names[1])
    before = table_counts(first)
    stored = mirror(net, names, edges, only=[0, 1])
    unknown = tables_changed(before, table_counts(first)) - FEED_TABLES
    if unknown:
        raise SystemExit(f"storing the feeds wrote {sorted(unknown)}: --settle copy cannot copy it")
    towards = next_hops(len(names), edges)
    ids = [net[name].id for name in names]
    for index in range(2, len(names)):
        relays = {ids[o]: ids[towards[o][index]] for o in range(len(names)) if o != index}
        node = net[names[index]].node
        stored += copy_mirror(
            database_file(net, names[index]), ids[index], first, ids[0], second, relays, node.now()
        )
        if (index + 1) % 100 == 0:
            say(f"  {index + 1}/{len(names)} nodes hold every feed ({rss_mb():.0f} MB RSS)")
    return stored


def settle(net: Network, max_rounds: int) -> int:
    """``Network.settle`` with a progress line per round: deliver hints and pull from every peer
    until nothing moves (everyone then holds every profile and peer list)."""
    for round_number in range(1, max_rounds + 1):
        mark = time.monotonic()
        sent = net.deliver()
        stored = net.sync_round(force=True)
        say(f"  round {round_number}: {sent} messages, {stored} entries stored "
            f"({time.monotonic() - mark:.0f} s, {rss_mb():.0f} MB RSS)")  # fmt: skip
        if sent + stored == 0:
            return round_number
    raise SystemExit(f"network did not settle in {max_rounds} rounds")


def randomise_links(net: Network, names: list[str], rng: random.Random, interval: int) -> None:
    """Every link's next periodic pull somewhere in the coming interval; failures cleared."""
    now = net.clock()
    for name in names:
        node = net[name].node
        with node.db.write() as session:
            for peer in session.query(Peer).filter(Peer.state == "active"):
                offset = rng.uniform(0, interval)
                peer.next_try = node.now() + timedelta(seconds=offset)
                peer.failures = 0
            # Nothing left over from settling may ride along with the measured hints.
            for message in session.query(OutboxMessage).filter(OutboxMessage.done.is_(False)):
                message.done = True
    assert net.clock() == now


def measure(
    net: Network,
    names: list[str],
    publisher: int,
    intervals: dict[str, float],
    wire: Wire,
    hints: bool,
    rng: random.Random,
    title: str,
) -> Outcome:
    """Publish one event at t = 0 and run the nodes' jobs until every node holds it, then on
    for ``TAIL_TICKS`` ticks of each job so the last hints (to peers that already hold it) and
    the pulls they cause are counted too."""
    t0 = net.clock()
    source = net[names[publisher]]
    with source.node.db.write() as session:
        add_event(
            session,
            source.node,
            {"title": title, "start": "2026-12-01T09:00", "end": "2026-12-01T10:00"},
        )
    with source.node.db.read() as session:
        target = head(session, source.id)
    outcome = Outcome(arrival={publisher: 0.0})
    wire.reset()
    wire.drop_hints = not hints
    queue: list[tuple[float, int, str, int]] = []
    order = 0  # tie-breaker: jobs due at the same instant run in a fixed, seeded order
    for index in range(len(names)):
        for job in ("sync", "outbox"):
            order += 1
            heapq.heappush(queue, (rng.uniform(0, intervals[job]), order, job, index))
    stop = math.inf
    tail = TAIL_TICKS * max(intervals.values())
    last_report = time.monotonic()
    while queue[0][0] <= stop:
        at, _, job, index = heapq.heappop(queue)
        if at > MAX_SIMULATED:
            say(f"  gave up at {at:.0f} s simulated")
            break
        net.clock.now = t0 + at
        node = net[names[index]].node
        wire.sender = index
        outcome.job_calls += 1
        if job == "sync":
            outcome.sync_runs += 1
            sync_job(node)
            if index not in outcome.arrival:
                with node.db.read() as session:
                    if head(session, source.id).seq >= target.seq:
                        outcome.arrival[index] = at
                if len(outcome.arrival) == len(names):
                    stop = at + tail
        else:
            outbox_job(node)
        wire.sender = None
        order += 1
        heapq.heappush(queue, (at + intervals[job], order, job, index))
        if time.monotonic() - last_report > 10:
            last_report = time.monotonic()
            say(f"  t = {at:6.1f} s simulated: {len(outcome.arrival)}/{len(names)} hold it")
    outcome.end = max(outcome.arrival.values())
    outcome.window = min(stop, MAX_SIMULATED)
    outcome.sent = wire.sent
    outcome.hints_sent = sum(_hints_sent(net[name].node, t0) for name in names)
    outcome.hints_dropped = wire.dropped
    return outcome


def _hints_sent(node: Any, since: float) -> int:
    """``heads.changed`` messages this node's outbox sent since the measurement began."""
    from datetime import UTC, datetime

    start = datetime.fromtimestamp(since, UTC)
    with node.db.read() as session:
        rows = session.query(OutboxMessage).filter(
            OutboxMessage.kind == "heads.changed",
            OutboxMessage.done.is_(True),
            OutboxMessage.created >= start,
        )
        return rows.count()


def print_messages(outcome: Outcome, nodes: int, intervals: dict[str, float]) -> None:
    """Requests each node sent in the measured window, by kind: mean and max per node."""
    kinds = ("inbox", "heads", "feed", "forks", "other")
    totals = Counter[str]()
    for counts in outcome.sent.values():
        totals.update(counts)
    per_node = [sum(outcome.sent.get(i, Counter()).values()) for i in range(nodes)]
    print(f"  messages sent in the {outcome.window:.0f} s window (until all hold it + "
          f"{TAIL_TICKS} ticks): {sum(per_node)} requests, per node mean "
          f"{sum(per_node) / nodes:.2f}, max {max(per_node)}")  # fmt: skip
    for kind in kinds:
        column = [outcome.sent.get(i, Counter())[kind] for i in range(nodes)]
        print(f"    {kind:6s} total {totals[kind]:7d}  per node mean {sum(column) / nodes:6.2f}"
              f"  max {max(column):4d}")  # fmt: skip


def report(
    label: str,
    outcome: Outcome,
    dist: list[float],
    intervals: dict[str, float],
    nodes: int,
    judge: bool,
) -> bool:
    """Print one measurement (with the target verdicts if ``judge``); True when they hold."""
    hops = int(max(dist))
    held = len(outcome.arrival)
    print(f"\n{label}")
    print(f"  all {nodes} hold the event after {outcome.end:.1f} s simulated "
          f"({math.ceil(outcome.end / intervals['sync'])} sync ticks of {intervals['sync']:.0f} s; "
          f"{held}/{nodes} reached)")  # fmt: skip
    print(f"  sync-job ticks {outcome.sync_runs}; heads.changed sent {outcome.hints_sent}, "
          f"of them dropped on the wire {outcome.hints_dropped}")  # fmt: skip
    print_messages(outcome, nodes, intervals)
    print("  hops  nodes  latest arrival  per hop")
    worst_per_hop = 0.0
    for hop in range(1, hops + 1):
        at_hop = [outcome.arrival.get(i, math.inf) for i, d in enumerate(dist) if d == hop]
        latest = max(at_hop)
        worst_per_hop = max(worst_per_hop, latest / hop)
        print(f"  {hop:4d}  {len(at_hop):5d}  {latest:12.1f} s  {latest / hop:6.1f} s")
    bound = (math.ceil(math.log2(nodes)) + 2) * SECONDS_PER_HOP
    per_hop_ok = worst_per_hop <= SECONDS_PER_HOP
    total_ok = outcome.end <= bound and held == nodes
    if not judge:
        print(f"  worst per hop {worst_per_hop:.1f} s; all within {outcome.end:.1f} s")
        return per_hop_ok and total_ok
    print(f"  worst per hop {worst_per_hop:.1f} s (target ≤ {SECONDS_PER_HOP:.0f} s): "
          f"{'met' if per_hop_ok else 'MISSED'}")  # fmt: skip
    verdict = "met" if total_ok else "MISSED"
    print(f"  all within {outcome.end:.1f} s (target ≤ (⌈log2 {nodes}⌉ + 2) × "
          f"{SECONDS_PER_HOP:.0f} s = {bound:.0f} s): {verdict}")  # fmt: skip
    return per_hop_ok and total_ok


def empty_database(directory: Path) -> Path:
    """An SQLite file migrated to the head revision with no rows: every node's starting schema,
    copied for each node instead of running the migrations a thousand times."""
    path = directory / "template.db"
    db = Database(f"sqlite:///{path}")
    try:
        upgrade(db.engine)
    finally:
        db.dispose()
    return path


def idle_tick_cost(node: Any, ticks: int = 200) -> tuple[float, float, int]:
    """One sync tick plus one outbox tick on ``node`` with nothing due: CPU µs per pair, SQL
    statements per pair, and how many of them were not ``SELECT`` (must be 0: an idle tick
    only reads, ARCHITECTURE.md and ``node.jobs``)."""
    statements: list[str] = []

    def count(conn: Any, cursor: Any, sql: str, *args: Any) -> None:
        statements.append(sql.lstrip().split(None, 1)[0].upper())

    event.listen(node.db.engine, "before_cursor_execute", count)
    try:
        started = time.process_time()
        for _ in range(ticks):
            sync_job(node)
            outbox_job(node)
        cpu = time.process_time() - started
    finally:
        event.remove(node.db.engine, "before_cursor_execute", count)
    writes = sum(1 for s in statements if s not in ("SELECT", "BEGIN", "COMMIT", "ROLLBACK"))
    return cpu / ticks * 1e6, len(statements) / ticks, writes


def rss_mb() -> float:
    """This process's resident set (VmRSS) in MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--nodes", type=int, default=1000)
    parser.add_argument("--degree-min", type=int, default=3)
    parser.add_argument("--degree-max", type=int, default=5)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--settle",
        choices=("copy", "store", "pull"),
        default="copy",
        help="copy: two nodes store every feed, the others' rows are copied from theirs, then "
        "real pulls settle (the default); store: every node stores every feed directly, then "
        "real pulls settle; pull: real pulls only (O(N²) requests, minutes at 50 nodes)",
    )
    parser.add_argument(
        "--no-hints-off", action="store_true", help="measure with hints ON only (saves time)"
    )
    parser.add_argument(
        "--dir", default=None, help="where the data dirs go (default: /dev/shm when present)"
    )
    args = parser.parse_args(argv)
    rng = random.Random(args.seed)
    started = time.monotonic()
    logging.getLogger("alembic").setLevel(logging.WARNING)  # one migration log per node is noise

    edges = random_graph(args.nodes, args.degree_min, args.degree_max, rng)
    width = len(str(args.nodes - 1))
    names = [f"n{i:0{width}d}" for i in range(args.nodes)]
    shm = Path("/dev/shm")
    where = args.dir or (str(shm) if shm.is_dir() else None)
    setup: dict[str, float] = {}
    with tempfile.TemporaryDirectory(prefix="spazi-bench-convergence-", dir=where) as tmp:
        # One process hosts every node, so a thread holding a node's write lock waits for the
        # GIL behind the others; at 1,000 nodes a settling round once outwaited the default
        # 5 s busy timeout ("database is locked"). A minute keeps the run going.
        net = Network(Path(tmp), FakeClock(), settings={"db_busy_timeout_ms": 60_000})
        try:
            template = empty_database(Path(tmp))
            say(f"creating {args.nodes} nodes in {tmp} (schema copied from one migrated file)...")
            mark = time.monotonic()
            for i, name in enumerate(names):
                net.add(name, title=f"Space {i}", template_db=template)
                if (i + 1) % 100 == 0:
                    say(f"  {i + 1}/{args.nodes} ({rss_mb():.0f} MB RSS)")
            setup["create"] = time.monotonic() - mark
            say(f"peering {len(edges)} links with invite codes...")
            mark = time.monotonic()
            for count, (a, b) in enumerate(edges, 1):
                net.peer(names[a], names[b])
                if count % 250 == 0:
                    say(f"  {count}/{len(edges)}")
            setup["peer"] = time.monotonic() - mark
            mark = time.monotonic()
            if args.settle == "store":
                say("every node stores every other node's feed (store_verified)...")
                copied = mirror(net, names, edges)
                say(f"  {copied} entries stored ({time.monotonic() - mark:.0f} s)")
            elif args.settle == "copy":
                say("two nodes store every feed (store_verified), the others copy their rows...")
                copied = copy_settle(net, names, edges)
                say(f"  {copied} entries stored or copied ({time.monotonic() - mark:.0f} s)")
            setup["mirror"] = time.monotonic() - mark
            say("settling (everyone pulls until nothing moves)...")
            mark = time.monotonic()
            rounds = settle(net, max_rounds=60)
            setup["settle"] = time.monotonic() - mark
            setup["rss"] = rss_mb()
            say(f"  settled in {rounds} rounds ({time.monotonic() - started:.0f} s so far, "
                f"{setup['rss']:.0f} MB RSS)")  # fmt: skip

            recorder = RecordingScheduler()
            add_jobs(recorder, net[names[0]].node)  # type: ignore[arg-type]
            intervals = {"sync": recorder.intervals["sync"], "outbox": recorder.intervals["outbox"]}
            sync_interval = int(net[names[0]].node.settings["sync_interval"])
            publisher = rng.randrange(args.nodes)
            dist = distances(args.nodes, edges, publisher)
            idle = idle_tick_cost(net[names[0]].node)
            wire = tap(net)

            results = {}
            for hints in (True, False) if not args.no_hints_off else (True,):
                net.clock.advance(3600)  # well clear of settling and of the previous run
                randomise_links(net, names, rng, sync_interval)
                say(f"measuring with hints {'ON' if hints else 'OFF'}...")
                mark = time.monotonic()
                results[hints] = measure(
                    net, names, publisher, intervals, wire, hints, rng, f"Bench event {int(hints)}"
                )
                setup[f"measure-{hints}"] = time.monotonic() - mark
            setup["peak"] = rss_mb()
        finally:
            net.close()

    degrees = Counter(n for edge in edges for n in edge)
    print(f"\nnetwork: {args.nodes} nodes, {args.degree_min}–{args.degree_max} peers each "
          f"(mean {2 * len(edges) / args.nodes:.2f}; random graph, seed {args.seed}), "
          f"{len(edges)} links; publisher {names[publisher]} ({degrees[publisher]} peers), "
          f"{int(max(dist))} hops to the farthest node")  # fmt: skip
    print(f"jobs (from node.jobs.add_jobs): sync every {intervals['sync']:.0f} s, outbox every "
          f"{intervals['outbox']:.0f} s; sync_interval {sync_interval} s per link")  # fmt: skip
    print(f"setup: create {setup['create']:.0f} s ({setup['create'] / args.nodes * 1000:.0f} ms "
          f"per node), peer {setup['peer']:.0f} s ({setup['peer'] / len(edges) * 1000:.0f} ms "
          f"per link), feeds copied {setup['mirror']:.0f} s, settle {setup['settle']:.0f} s "
          f"({rounds} rounds of real pulls, the last moving nothing); RSS after settling "
          f"{setup['rss']:.0f} MB ({setup['rss'] / args.nodes:.1f} MB per node), at the end "
          f"{setup['peak']:.0f} MB")  # fmt: skip
    print(f"idle tick (sync_job + outbox_job, nothing due): {idle[0]:.0f} µs CPU, "
          f"{idle[1]:.1f} SQL statements, {idle[2]} of them writes; × {args.nodes} nodes = "
          f"{idle[0] * args.nodes / 1e6:.2f} s CPU per simulated second")  # fmt: skip
    met = report("push hints ON", results[True], dist, intervals, args.nodes, judge=True)
    print(f"  (simulated in {setup['measure-True']:.0f} s real time, "
          f"{results[True].job_calls} job calls)")  # fmt: skip
    if False in results:
        off = results[False]
        report("push hints OFF (periodic pulls only)", off, dist, intervals, args.nodes, False)
        print(f"  (simulated in {setup['measure-False']:.0f} s real time, "
              f"{off.job_calls} job calls)")  # fmt: skip
    print(f"\ntargets apply to hints ON: {'met' if met else 'MISSED'}")
    print(f"(setup and measurements took {time.monotonic() - started:.0f} s of real time)")
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
