"""Benchmark: a sync round with nothing to pull, at a node mirroring 1,000 spaces.

Run from the repository root: ``.venv/bin/python tests/bench/bench_sync_idle.py [--spaces 1000]
[--events 3] [--runs 7] [--profile]``

What it does:

1. ``spazi init`` nodes A and B on free loopback ports and stores the same ``--spaces`` mirrored
   spaces (``tests.bench.network_mirror``: a signed profile, ``--events`` upcoming events and
   an address announcement each, stored as a peer relays them) on both, so B holds everything A
   carries.
2. Starts A as a ``spazi run`` process (scheduler off) and peers B with it the way two admins
   would (``spazi peer invite`` on A, ``spazi peer join`` on B, B running for the join only),
   then runs one ``spazi sync`` on B: it pulls what peering added to A's own feed and leaves
   nothing behind, so B keeps A's heads validator (protocol.md §Heads).
3. Measures the idle round, ``--runs`` times each, as the median:

   - in process: ``sync_due(node, force=True)`` on B opened in this process, over real HTTP to A
     — with the conditional heads (B sends back the validator: A answers 304 twice, heads and
     forks) and without (the peer row's validators cleared before each round: A's whole heads
     document is fetched, parsed and compared origin by origin, the forks list read again);
   - as a process: ``spazi sync`` on B, the same two ways, beside ``spazi peer list`` on B (a
     command that opens the node and reads one table: the fixed start-up every command pays).

``--profile`` prints the top of a cProfile of one in-process round each way.
Targets (issue 16): an idle round with the conditional heads under 0.5 s in process, and as a
``spazi sync`` process (wall time, interpreter start-up included). Exit status 0 when both are met.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # run as a plain script

from tests.bench.bench_sync_ingest import NET_ENV, Run, run_measured
from tests.bench.common import env_with, say, target_line
from tests.bench.network_mirror import space_feed
from tests.e2e.processes import NodeProcess, free_port, spazi

TARGET_S = 0.5


def fill_both(dirs: list[Path], spaces: int, events: int) -> None:
    """Store the same ``spaces`` signed feeds on every node of ``dirs`` (signed once)."""
    from node.network.syncing import NodeSyncStore
    from node.runtime import open_node

    ts = int(time.time() * 1000) - 60_000
    today = datetime.now(UTC)
    feeds = [space_feed(i, events, ts, today) for i in range(spaces)]
    for data_dir in dirs:
        node = open_node(str(data_dir), environ={})
        try:
            store = NodeSyncStore(node)
            for origin, entries in feeds:
                store.store_page(origin, entries)
        finally:
            node.close()


def clear_validators(node: object) -> None:
    """Forget every peer's heads and forks validators: the next round asks unconditionally."""
    from sqlalchemy import update

    from node.models import Peer

    with node.db.write() as session:  # type: ignore[attr-defined]
        session.execute(
            update(Peer).values(heads_etag=None, heads_etag_since=None, forks_etag=None)
        )


def median_of(runs: int, before: Callable[[], None], work: Callable[[], object]) -> float:
    times = []
    for _ in range(runs):
        before()
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def profile_top(work: Callable[[], object], limit: int = 18) -> str:
    profiler = cProfile.Profile()
    profiler.runcall(work)
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(limit)
    return out.getvalue()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--spaces", type=int, default=1000)
    parser.add_argument("--events", type=int, default=3)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--keep", action="store_true", help="keep the nodes' data dirs")
    args = parser.parse_args(argv)

    from node.network.syncing import sync_due
    from node.runtime import open_node

    workdir = Path(tempfile.mkdtemp(prefix="spazi-bench-idle-"))
    dir_a, dir_b = workdir / "a", workdir / "b"
    port_a, port_b = free_port(), free_port()
    spazi("init", str(dir_a), "--name", "Relay", "--url", f"http://127.0.0.1:{port_a}")
    spazi("init", str(dir_b), "--name", "Mirror", "--url", f"http://127.0.0.1:{port_b}")
    say(f"storing {args.spaces} spaces of {args.events} events on both nodes...")
    fill_both([dir_a, dir_b], args.spaces, args.events)
    env = env_with(**NET_ENV)
    node_a = NodeProcess(dir_a, port_a, env={**NET_ENV, "SPAZI_SCHEDULER": "false"})
    try:
        node_b = NodeProcess(dir_b, port_b, env={**NET_ENV, "SPAZI_SCHEDULER": "false"})
        try:
            code = spazi("peer", "invite", data_dir=dir_a, env=NET_ENV).stdout.strip()
            spazi("peer", "join", code, data_dir=dir_b, env=NET_ENV)
        finally:
            node_b.stop()
        sync_argv = [sys.executable, "-m", "node.cli", "--data-dir", str(dir_b), "sync"]
        first = run_measured(sync_argv, env, workdir / "sync-first.log")
        say(f"first `spazi sync`: {first.wall:.2f} s ({first.stdout.strip().splitlines()[-1]})")

        node = open_node(str(dir_b), environ=NET_ENV)
        try:
            report = sync_due(node, force=True)
            peer_report = next(iter(report.reports.values()))
            if report.stored or not peer_report.unchanged:
                raise SystemExit(f"B's idle round was not idle: {report}")
            with_cond = median_of(args.runs, lambda: None, lambda: sync_due(node, force=True))
            without = median_of(
                args.runs, lambda: clear_validators(node), lambda: sync_due(node, force=True)
            )
            profiles = []
            if args.profile:
                profiles.append(("conditional", profile_top(lambda: sync_due(node, force=True))))
                clear_validators(node)
                profiles.append(("unconditional", profile_top(lambda: sync_due(node, force=True))))
            sync_due(node, force=True)  # leave the validator in place for the processes
        finally:
            node.close()

        def cli(clear: bool) -> Run:
            runs = []
            for i in range(args.runs):
                if clear:
                    own = open_node(str(dir_b), environ=NET_ENV)
                    try:
                        clear_validators(own)
                    finally:
                        own.close()
                runs.append(run_measured(sync_argv, env, workdir / f"sync-{clear}-{i}.log"))
            return sorted(runs, key=lambda r: r.wall)[len(runs) // 2]

        cli_cond, cli_full = cli(False), cli(True)
        if "stored 0 entries" not in cli_cond.stdout:
            raise SystemExit(f"the idle `spazi sync` stored something: {cli_cond.stdout}")
        list_argv = [sys.executable, "-m", "node.cli", "--data-dir", str(dir_b), "peer", "list"]
        startup = sorted(
            (run_measured(list_argv, env, workdir / f"list-{i}.log") for i in range(args.runs)),
            key=lambda r: r.wall,
        )[args.runs // 2]
    finally:
        node_a.stop()
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)

    print()
    print(f"idle round at {args.spaces} mirrored spaces ({args.events} events each), "
          f"median of {args.runs}")  # fmt: skip
    print(f"  in process, conditional heads (two 304s):   {with_cond * 1000:8.1f} ms")
    print(f"  in process, unconditional heads and forks:   {without * 1000:8.1f} ms "
          f"({without / with_cond:.1f}× the conditional round)")  # fmt: skip
    print(f"  `spazi sync`, conditional:                  {cli_cond.wall * 1000:8.1f} ms wall, "
          f"{cli_cond.cpu * 1000:.0f} ms CPU")  # fmt: skip
    print(f"  `spazi sync`, unconditional:                {cli_full.wall * 1000:8.1f} ms wall, "
          f"{cli_full.cpu * 1000:.0f} ms CPU")  # fmt: skip
    print(f"  fixed start-up (`spazi peer list`):         {startup.wall * 1000:8.1f} ms wall, "
          f"{startup.cpu * 1000:.0f} ms CPU; the sync's own part: conditional "
          f"{(cli_cond.wall - startup.wall) * 1000:.0f} ms, unconditional "
          f"{(cli_full.wall - startup.wall) * 1000:.0f} ms")  # fmt: skip
    for label, text in profiles:
        print(f"\n--- cProfile of one in-process round, {label} ---")
        print("\n".join(text.splitlines()[:40]))
    met = with_cond < TARGET_S
    print(target_line(f"idle round under {TARGET_S} s in process", met))
    met_cli = cli_cond.wall < TARGET_S
    print(target_line(f"idle `spazi sync` under {TARGET_S} s as a process", met_cli))
    return 0 if met and met_cli else 1


if __name__ == "__main__":
    raise SystemExit(main())
