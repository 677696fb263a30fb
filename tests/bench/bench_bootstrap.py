"""Benchmark: a new node learns a 1,000-space network from one member, on simulated time, while
a hostile relay beside it invents origins.

Run from the repository root: ``.venv/bin/python tests/bench/bench_bootstrap.py [--spaces 1000]
[--events 3] [--invented 6000] [--bound N]``

The network, in this process (``tests.network.Network``: real nodes, real signatures, real HTTP
handling through each node's Flask app, real SQLite databases, one fake clock):

- ``m``, the member the new node joins, holds ``--spaces`` mirrored spaces
  (``tests.bench.network_mirror``: a signed profile, ``--events`` upcoming events and an address
  announcement each, stored as a peer relays them) and serves them through its federation
  endpoints;
- ``h``, a hostile relay, holds ``--invented`` origins nobody else carries (validly signed by
  keys it made up, as an attacker's would be), more than the bound;
- ``n``, the new node, joins both at t = 0 (invite codes, as two admins would);
  ``max_origins_per_relay`` is the nodes' default (5,000) unless ``--bound`` says otherwise.

Then every simulated second each node runs its real scheduler jobs (``node.jobs.sync_job`` and
``outbox_job``, the sync tick and the outbox tick), and the bench prints the simulated seconds
until ``n`` holds every one of ``m``'s spaces (its listing, the ``spaces`` row) and all their
upcoming events (``events`` rows), the rounds it took, and how many of ``h``'s invented origins
``n`` took in (``Origin.relayed_by``), at most the bound at every second. It goes on for
``--after`` more simulated seconds (past a sync interval) to show the count stays there.

Targets: ``m``'s spaces and events all held within 60 s of simulated time; ``h``'s origins at
``n`` never above the bound. Exit status 0 when both are met.
"""

from __future__ import annotations

import argparse
import logging
import shutil
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # run as a plain script

from sqlalchemy import func, select

from tests.bench.common import say, target_line
from tests.bench.network_mirror import space_feed
from tests.network import Network
from tests.support import FakeClock

TARGET_S = 60


def mirror(net: Network, name: str, spaces: range, events: int) -> list[str]:
    """Store spaces ``spaces`` at node ``name`` as a peer relays them; their origins."""
    from node.network.syncing import NodeSyncStore

    ts = int(net.clock.now * 1000) - 60_000
    today = datetime.fromtimestamp(net.clock.now, UTC)
    store = NodeSyncStore(net[name].node)
    origins = []
    started = time.perf_counter()
    for count, i in enumerate(spaces, 1):
        origin, entries = space_feed(i, events, ts, today)
        store.store_page(origin, entries)
        origins.append(origin)
        if count % 250 == 0:
            say(f"  {name}: {count}/{len(spaces)} ({time.perf_counter() - started:.0f} s)")
    return origins


def holdings(net: Network, origins: list[str]) -> tuple[int, int]:
    """(spaces, events) node ``n`` holds of ``origins`` in its projection."""
    from node.models import Event, Space

    with net["n"].node.db.read() as session:
        spaces = session.scalar(
            select(func.count()).select_from(Space).where(Space.origin.in_(origins))
        )
        events = session.scalar(
            select(func.count()).select_from(Event).where(Event.origin.in_(origins))
        )
    return int(spaces or 0), int(events or 0)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--spaces", type=int, default=1000)
    parser.add_argument("--events", type=int, default=3)
    parser.add_argument("--invented", type=int, default=6000)
    parser.add_argument("--bound", type=int, default=None, help="max_origins_per_relay")
    parser.add_argument("--after", type=int, default=180, help="simulated seconds after")
    args = parser.parse_args(argv)

    from node.jobs import outbox_job, sync_job
    from node.network.syncing import introduced_by

    logging.getLogger("alembic").setLevel(logging.WARNING)
    base = Path(tempfile.mkdtemp(prefix="spazi-bench-bootstrap-"))
    clock = FakeClock()
    settings = {} if args.bound is None else {"max_origins_per_relay": args.bound}
    net = Network(base, clock, settings)
    try:
        for name in "mhn":
            net.add(name)
        bound = int(net["n"].node.settings["max_origins_per_relay"])
        say(f"storing {args.spaces} spaces at m, {args.invented} invented origins at h...")
        honest = mirror(net, "m", range(args.spaces), args.events)
        mirror(net, "h", range(1_000_000, 1_000_000 + args.invented), 0)
        # n joins both at t = 0; joining runs a first round with each at once (peering).
        t0 = clock.now
        net.peer("m", "n")
        net.peer("h", "n")
        rounds = 0
        full_at: float | None = None
        worst = 0
        started = time.perf_counter()
        while True:
            spaces, events = holdings(net, honest)
            with net["n"].node.db.read() as session:
                invented_held = introduced_by(session, net["h"].id)
            worst = max(worst, invented_held)
            at = clock.now - t0
            if full_at is None and spaces == args.spaces and events == args.spaces * args.events:
                full_at = at
                say(f"  t = {at:.0f} s: n holds all {spaces} spaces and {events} events")
            if (full_at is not None and at >= full_at + args.after) or at > 3600:
                break
            if int(at) % 10 == 0 and (full_at is None or worst < bound):
                real = time.perf_counter() - started
                say(f"  t = {at:4.0f} s: {spaces} spaces, {events} events, "
                    f"{invented_held} invented ({real:.0f} s real)")  # fmt: skip
            clock.advance(1)
            for name in "mhn":
                sync_job(net[name].node)
            for name in "mhn":
                outbox_job(net[name].node)
            rounds += 1
        with net["n"].node.db.read() as session:
            from node.models import Peer

            lag = session.get(Peer, net["m"].id)
    finally:
        net.close()
        shutil.rmtree(base, ignore_errors=True)

    print()
    print(f"bootstrap of a new node joining one member of {args.spaces} spaces "
          f"({args.events} events each) and a relay inventing {args.invented} origins")  # fmt: skip
    if full_at is None:
        print("  n never held every space within an hour of simulated time")
    else:
        print(f"  all {args.spaces} spaces and {args.spaces * args.events} events held after "
              f"{full_at:.0f} s simulated ({rounds} ticks run in all)")  # fmt: skip
    print(f"  invented origins held: {worst} at most, bound {bound} "
          f"(max_origins_per_relay), {args.after} s simulated after the bootstrap")  # fmt: skip
    print(f"  n's lag behind m at the end: {lag.lag if lag else '?'} entries")
    fast = full_at is not None and full_at <= TARGET_S
    bounded = worst <= bound
    print(target_line(f"whole network within {TARGET_S} s simulated", fast))
    print(target_line("invented origins within the bound", bounded))
    return 0 if fast and bounded else 1


if __name__ == "__main__":
    raise SystemExit(main())
