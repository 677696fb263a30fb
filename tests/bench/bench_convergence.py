"""Benchmark: how fast one new event reaches every node of a 50-node network, hints on and off.

Run from the repository root: ``.venv/bin/python tests/bench/bench_convergence.py
[--nodes 50] [--degree 3] [--seed 7]``

The network: ``--nodes`` real nodes in this process (``tests.network.Network``: each a
``create_app()`` node with its own SQLite database, reached through a ``requests`` adapter that
calls the other node's Flask app: real HTTP handling, signatures, verification and storage, no
sockets) on one fake clock. The peering graph is a random ``--degree``-regular graph (every node
has exactly ``--degree`` peers) drawn with a seeded RNG and redrawn until it is connected; every
link is made with an invite code (``create_invite`` / ``join``) as two admins would. The network
then settles (everyone holds every profile and peer list) before anything is measured.

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

A node "holds" the event once its copy of the publisher's feed reaches the event's seq. Printed:
the simulated time until all nodes hold it, the sync-job ticks that took ("rounds"), each hop
distance's latest arrival, and the targets for hints ON: every node within 2 s per hop of its
distance from the publisher and all within (⌈log2 N⌉ + 2) hops' time (2 s each).
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
from collections import deque
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # run as a plain script

import requests
from requests.adapters import BaseAdapter

from node.feedstore import head
from node.jobs import add_jobs, outbox_job, sync_job
from node.models import OutboxMessage, Peer
from node.services.events import add_event
from tests.bench.common import say
from tests.network import Network
from tests.support import FakeClock

SECONDS_PER_HOP = 2.0
MAX_SIMULATED = 6 * 3600.0


class RecordingScheduler:
    """Stands in for APScheduler: records each job's interval as ``add_jobs`` declares it."""

    def __init__(self) -> None:
        self.intervals: dict[str, float] = {}

    def add_job(self, func: Any, trigger: str, **kwargs: Any) -> None:
        seconds = kwargs.get("seconds", 0) + 60 * kwargs.get("minutes", 0)
        seconds += 3600 * kwargs.get("hours", 0)
        self.intervals[kwargs["id"]] = float(seconds)


def regular_graph(count: int, degree: int, rng: random.Random) -> list[tuple[int, int]]:
    """A random simple connected ``degree``-regular graph (pairing model, redrawn until valid)."""
    if count * degree % 2:
        raise SystemExit("nodes × degree must be even for a regular graph")
    for _ in range(10_000):
        stubs = [n for n in range(count) for _ in range(degree)]
        rng.shuffle(stubs)
        edges = {tuple(sorted(pair)) for pair in zip(stubs[::2], stubs[1::2], strict=True)}
        if len(edges) == len(stubs) // 2 and all(a != b for a, b in edges):
            result = sorted(edges)
            if max(distances(count, result, 0)) < math.inf:
                return result  # type: ignore[return-value]
    raise SystemExit("could not draw a connected regular graph")


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


class HintDropper(BaseAdapter):
    """Wraps a node's in-process adapter: ``heads.changed`` inbox messages vanish on the wire."""

    def __init__(self, inner: BaseAdapter) -> None:
        super().__init__()
        self.inner = inner
        self.dropped = 0

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
        body = request.body if isinstance(request.body, bytes) else b""
        if request.method == "POST" and b'"type":"heads.changed"' in body.replace(b" ", b""):
            self.dropped += 1
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


def set_hints(net: Network, on: bool) -> None:
    """Deliver ``heads.changed`` messages (on) or drop them on the wire (off)."""
    for url, adapter in list(net.adapters.items()):
        inner = adapter.inner if isinstance(adapter, HintDropper) else adapter
        net.adapters[url] = inner if on else HintDropper(inner)  # type: ignore[assignment]


@dataclass
class Outcome:
    """One measurement: when each node first held the event (simulated seconds after t = 0)."""

    arrival: dict[int, float] = field(default_factory=dict)
    end: float = 0.0
    sync_runs: int = 0
    hints_sent: int = 0
    hints_dropped: int = 0


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
    hints: bool,
    rng: random.Random,
    title: str,
) -> Outcome:
    """Publish one event at t = 0 and run the nodes' jobs until every node holds it."""
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
    set_hints(net, hints)
    queue: list[tuple[float, int, str, int]] = []
    order = 0  # tie-breaker: jobs due at the same instant run in a fixed, seeded order
    for index in range(len(names)):
        for job in ("sync", "outbox"):
            order += 1
            heapq.heappush(queue, (rng.uniform(0, intervals[job]), order, job, index))
    last_report = time.monotonic()
    while len(outcome.arrival) < len(names):
        at, _, job, index = heapq.heappop(queue)
        if at > MAX_SIMULATED:
            say(f"  gave up at {at:.0f} s simulated")
            break
        net.clock.now = t0 + at
        node = net[names[index]].node
        if job == "sync":
            outcome.sync_runs += 1
            sync_job(node)
            if index not in outcome.arrival:
                with node.db.read() as session:
                    if head(session, source.id).seq >= target.seq:
                        outcome.arrival[index] = at
        else:
            outbox_job(node)
        order += 1
        heapq.heappush(queue, (at + intervals[job], order, job, index))
        if time.monotonic() - last_report > 10:
            last_report = time.monotonic()
            say(f"  t = {at:6.1f} s simulated: {len(outcome.arrival)}/{len(names)} hold it")
    outcome.end = max(outcome.arrival.values())
    outcome.hints_sent = sum(_hints_sent(net[name].node, t0) for name in names)
    outcome.hints_dropped = sum(
        a.dropped for a in net.adapters.values() if isinstance(a, HintDropper)
    )
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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--nodes", type=int, default=50)
    parser.add_argument("--degree", type=int, default=3)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    rng = random.Random(args.seed)
    started = time.monotonic()
    logging.getLogger("alembic").setLevel(logging.WARNING)  # one migration log per node is noise

    edges = regular_graph(args.nodes, args.degree, rng)
    names = [f"n{i:02d}" for i in range(args.nodes)]
    with tempfile.TemporaryDirectory(prefix="spazi-bench-convergence-") as tmp:
        net = Network(Path(tmp), FakeClock())
        try:
            say(f"creating {args.nodes} nodes...")
            for i, name in enumerate(names):
                net.add(name, title=f"Space {i}")
            say(f"peering {len(edges)} links with invite codes...")
            for count, (a, b) in enumerate(edges, 1):
                net.peer(names[a], names[b])
                if count % 25 == 0:
                    say(f"  {count}/{len(edges)}")
            say("settling (everyone pulls until nothing moves)...")
            rounds = net.settle(max_rounds=40)
            say(f"  settled in {rounds} rounds ({time.monotonic() - started:.0f} s so far)")

            recorder = RecordingScheduler()
            add_jobs(recorder, net[names[0]].node)  # type: ignore[arg-type]
            intervals = {"sync": recorder.intervals["sync"], "outbox": recorder.intervals["outbox"]}
            sync_interval = int(net[names[0]].node.settings["sync_interval"])
            publisher = rng.randrange(args.nodes)
            dist = distances(args.nodes, edges, publisher)

            results = {}
            for hints in (True, False):
                net.clock.advance(3600)  # well clear of settling and of the previous run
                randomise_links(net, names, rng, sync_interval)
                say(f"measuring with hints {'ON' if hints else 'OFF'}...")
                results[hints] = measure(
                    net, names, publisher, intervals, hints, rng, f"Bench event {int(hints)}"
                )
        finally:
            net.close()

    print(f"\nnetwork: {args.nodes} nodes, each with {args.degree} peers (random regular graph, "
          f"seed {args.seed}), {len(edges)} links; publisher {names[publisher]}, "
          f"{int(max(dist))} hops to the farthest node")  # fmt: skip
    print(f"jobs (from node.jobs.add_jobs): sync every {intervals['sync']:.0f} s, outbox every "
          f"{intervals['outbox']:.0f} s; sync_interval {sync_interval} s per link")  # fmt: skip
    met = report("push hints ON", results[True], dist, intervals, args.nodes, judge=True)
    off = results[False]
    report("push hints OFF (periodic pulls only)", off, dist, intervals, args.nodes, judge=False)
    print(f"\ntargets apply to hints ON: {'met' if met else 'MISSED'}")
    print(f"(setup and both measurements took {time.monotonic() - started:.0f} s of real time)")
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
