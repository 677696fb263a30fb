"""Benchmark: one ``spazi hub run`` serving 100 spaces, beside a single-space ``spazi run``.

Run from the repository root: ``.venv/bin/python tests/bench/bench_hub.py [--spaces 100]``

What it does, in one run: makes a hub of ``--spaces`` spaces (``init_node`` in this process, the
same code as ``spazi hub add --init``, then ``hub.toml`` written by ``node.hub.spaces.add_space``)
and one more space on its own; starts ``spazi hub run`` and ``spazi run`` (scheduler off in both:
the hub leaves jobs to ``spazi hub worker``) as real processes on loopback. Then:

- **memory per additional space**: the hub's VmRSS after one space has answered the page set
  below, then after every space has, ``(RSS(N) − RSS(1)) / (N − 1)``; target under 5 MB;
- **latency**: ``GET`` of each latency path, ``--rounds`` times, interleaving the single node's
  requests with the hub's one by one (every hosted host in turn) so both see the same machine;
  one client session per site, as a browser keeps cookies per site; p50 and p99 of each, and
  the hub's as a ratio of the node's; target within 10 %.

Exit status 0 when both targets are met. The file name does not match ``test_*.py``: pytest
never collects it.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # run as a plain script

import requests

from tests.bench.common import mb, proc_status, say, target_line
from tests.e2e.processes import HubProcess, NodeProcess, free_port

MEMORY_TARGET_KB = 5 * 1024
LATENCY_TARGET = 1.10
# What a visitor and a peer ask a space for: its page, profile, heads, the network page, login.
PAGES = ("/", "/api/v1/space", "/federation/v1/heads", "/network", "/admin/login")
LATENCY_PATHS = ("/api/v1/space", "/")
WARM = 40


def build(base: Path, count: int) -> tuple[Path, Path, list[str]]:
    """The hub (``count`` spaces) and the lone node's data dir; the hosted hosts."""
    from node.bootstrap import init_node
    from node.hub import spaces

    hub_dir = base / "hub"
    spaces.init_hub(hub_dir)
    hosts = []
    started = time.perf_counter()
    for i in range(count):
        host = f"s{i:03d}.hub.test"
        data_dir = hub_dir / "spaces" / host
        init_node(data_dir, f"Space {i}", f"https://{host}", timezone="Europe/Rome")
        spaces.add_space(hub_dir, data_dir)
        hosts.append(host)
        if (i + 1) % 10 == 0 or i + 1 == count:
            say(f"hub spaces made: {i + 1}/{count} ({time.perf_counter() - started:.0f} s)")
    alone = base / "alone"
    init_node(alone, "Alone", "http://127.0.0.1:0", settings={"scheduler": False})
    return hub_dir, alone, hosts


def touch(hub: HubProcess, host: str, session: requests.Session) -> None:
    for path in PAGES:
        response = hub.get(host, path, session)
        if response.status_code != 200:
            raise SystemExit(f"{host}{path}: {response.status_code}\n{hub.read_log()[-2000:]}")


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--spaces", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=2000, help="requests per path and server")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        hub_dir, alone, hosts = build(Path(tmp), args.spaces)
        hub = HubProcess(hub_dir, free_port())
        node = NodeProcess(alone, free_port())
        try:
            # One client session per site, as a browser keeps its cookies per site: one session
            # for every host would hold a cookie of each space after the page set (/admin/login
            # sets one), and requests scans its whole cookie jar on every request, which made
            # the client, not the hub, slower as spaces were visited.
            visitors = {host: requests.Session() for host in hosts}
            node_session = requests.Session()
            touch(hub, hosts[0], visitors[hosts[0]])
            time.sleep(1)
            one = proc_status(hub.process.pid)["VmRSS"]
            say(f"hub with 1 space loaded: VmRSS {mb(one)}")
            first_touch = []
            for i, host in enumerate(hosts[1:], 2):
                start = time.perf_counter()
                touch(hub, host, visitors[host])
                first_touch.append(time.perf_counter() - start)
                if i % 20 == 0 or i == len(hosts):
                    rss = proc_status(hub.process.pid)["VmRSS"]
                    say(f"spaces loaded: {i}/{len(hosts)}, VmRSS {mb(rss)}")
            time.sleep(1)
            every = proc_status(hub.process.pid)["VmRSS"]
            per_space = (every - one) / max(1, len(hosts) - 1)
            node_rss = proc_status(node.process.pid)["VmRSS"]
            say(f"hub with {len(hosts)} spaces: VmRSS {mb(every)}; single node: {mb(node_rss)}")

            timings: dict[tuple[str, str], list[float]] = {}
            for path in PAGES:  # the single node sees the same page set as each space
                node_session.get(node.url + path, timeout=30)
            for path in LATENCY_PATHS:
                for _ in range(WARM):  # warm both servers for this path
                    node_session.get(node.url + path, timeout=30)
                    hub.get(hosts[0], path, visitors[hosts[0]])
                # Interleaved request by request: a busy moment of the machine falls on both.
                for turn in range(args.rounds):
                    start = time.perf_counter()
                    answer = node_session.get(node.url + path, timeout=30)
                    timings.setdefault(("node", path), []).append(time.perf_counter() - start)
                    assert answer.status_code == 200
                    host = hosts[turn % len(hosts)]
                    start = time.perf_counter()
                    answer = hub.get(host, path, visitors[host])
                    timings.setdefault(("hub", path), []).append(time.perf_counter() - start)
                    assert answer.status_code == 200
        finally:
            hub.stop()
            node.stop()

    print(f"spaces hosted: {len(hosts)}; page set touched at each: {', '.join(PAGES)}")
    print(f"hub VmRSS, 1 space loaded: {mb(one)}; {len(hosts)} loaded: {mb(every)}")
    print(f"memory per additional space: {mb(per_space)} (target under {mb(MEMORY_TARGET_KB)})")
    print(f"first visit of a space (its app made, the page set rendered): "
          f"median {statistics.median(first_touch) * 1000:.0f} ms")  # fmt: skip
    latency_met = True
    for path in LATENCY_PATHS:
        node_t, hub_t = timings[("node", path)], timings[("hub", path)]
        for label, fraction in (("p50", 0.5), ("p99", 0.99)):
            a, b = percentile(node_t, fraction), percentile(hub_t, fraction)
            ratio = b / a
            latency_met = latency_met and ratio <= LATENCY_TARGET
            print(
                f"GET {path} {label}: single node {a * 1000:.2f} ms, hub {b * 1000:.2f} ms "
                f"({ratio:.2f}×), {len(hub_t)} requests each"
            )
    memory_met = per_space < MEMORY_TARGET_KB
    print(target_line(f"under {mb(MEMORY_TARGET_KB)} per additional space", memory_met))
    print(target_line(f"hub latency within {LATENCY_TARGET - 1:.0%} of a single node", latency_met))
    return 0 if memory_met and latency_met else 1


if __name__ == "__main__":
    sys.exit(main())
