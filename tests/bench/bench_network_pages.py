"""Benchmark: the network pages of a node mirroring 1,000 spaces × 20 upcoming events.

Run from the repository root: ``.venv/bin/python tests/bench/bench_network_pages.py
[--spaces 1000] [--events 20] [--requests 200] [--postgres] [--plans]``

What it does, in one run:

1. ``init_node`` (SQLite in a temporary dir, or a fresh PostgreSQL schema with ``--postgres``
   and ``SPAZI_TEST_POSTGRES_URL``), then ``--spaces`` other spaces, each a signed feed of its
   profile, ``--events`` upcoming events and its address, stored as a peer relays them
   (``tests/bench/network_mirror.py``).
2. Starts ``spazi run`` (development server, scheduler off) on loopback and fetches every
   network page, feed and calendar below ``--requests`` times on one keep-alive client, in
   blocks of 10 alternating with the same number of requests for a static file of the same size
   served by the same process (Flask's ``/static/``), and as many conditional requests
   (``If-None-Match`` with the page's ETag, which must answer ``304``).
3. Prints, per path: size, p50 and p99 of the full answer, the static file's p50 and p99 and
   the ratios, and the 304's p50 and p99. Then the node's peak memory (VmHWM).

Targets (issue 16): every HTML page ≤ 100 KiB and p99 ≤ 50 ms; the network calendar p99 ≤
150 ms; a 304 for every path; peak memory under 150 MB. Exit status 0 when all are met. The
file name does not match ``test_*.py``: pytest never collects it.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import tempfile
import time
from html import unescape
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # run as a plain script

import requests

from tests.bench.common import mb, proc_status, say, target_line
from tests.bench.network_mirror import fill
from tests.e2e.processes import NodeProcess, free_port

HTML_BYTES = 100 * 1024
HTML_P99 = 0.050
ICS_P99 = 0.150
MEMORY_KB = 150 * 1024
BLOCK = 10
STATIC = Path(__file__).resolve().parents[2] / "node" / "static"

# (label, path, kind): kind "html" pages are held to 100 KiB and 50 ms, "ics" to 150 ms.
PATHS = [
    ("spaces, first page", "/network", "html"),
    ("spaces, next page", "NEXT:/network", "html"),
    ("spaces in a city", "/network?city=Genova", "html"),
    ("spaces in a district", "/network?city=Genova&district=Porto", "html"),
    ("events, first page", "/network/events", "html"),
    ("events, next page", "NEXT:/network/events", "html"),
    ("events in a city, by tag", "/network/events?city=Genova&tag=workshop", "html"),
    ("calendar, whole network", "/network/events.ics", "ics"),
    ("calendar, one city", "/network/events.ics?city=Genova", "ics"),
    ("calendar, one tag", "/network/events.ics?tag=workshop", "ics"),
    ("network Atom feed", "/network/feed.atom", "feed"),
    ("events widget", "/network/embed/events?city=Genova", "html"),
]


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def resolve(node_url: str, session: requests.Session, path: str) -> str:
    """``NEXT:/p`` is the page the first page of ``/p`` links to as its next page."""
    if not path.startswith("NEXT:"):
        return path
    first = session.get(node_url + path[5:], timeout=60).text
    found = re.search(r'<a rel="next" href="([^"]+)"', first)
    if found is None:
        raise SystemExit(f"{path[5:]} has no next page")
    return unescape(found.group(1))


def timed(session: requests.Session, url: str, headers: dict[str, str] | None = None) -> float:
    start = time.perf_counter()
    answer = session.get(url, headers=headers, timeout=60)
    elapsed = time.perf_counter() - start
    if answer.status_code not in (200, 304):
        raise SystemExit(f"{url}: {answer.status_code}\n{answer.text[:2000]}")
    return elapsed


def measure(node: NodeProcess, rounds: int) -> tuple[list[dict[str, object]], bool]:
    session = requests.Session()
    results = []
    met = True
    for label, raw_path, kind in PATHS:
        path = resolve(node.url, session, raw_path)
        url = node.url + path
        first = session.get(url, timeout=60)
        if first.status_code != 200:
            raise SystemExit(f"{path}: {first.status_code}\n{first.text[:2000]}")
        body = first.content
        etag = first.headers.get("ETag")
        static_name = f"bench-static-{os.getpid()}.bin"
        (STATIC / static_name).write_bytes(body)
        try:
            static_url = f"{node.url}/static/{static_name}"
            for _ in range(3):  # warm both
                timed(session, url)
                timed(session, static_url)
            page_t: list[float] = []
            static_t: list[float] = []
            cond_t: list[float] = []
            misses = 0
            for _ in range(max(1, rounds // BLOCK)):
                page_t += [timed(session, url) for _ in range(BLOCK)]
                static_t += [timed(session, static_url) for _ in range(BLOCK)]
                # The ETag of now: an HTML page says "5 min ago", so its body (and ETag)
                # changes as the minutes pass; a client would hold the latest one.
                etag = session.get(url, timeout=60).headers.get("ETag")
                if etag:
                    for _ in range(BLOCK):
                        start = time.perf_counter()
                        answer = session.get(url, headers={"If-None-Match": etag}, timeout=60)
                        cond_t.append(time.perf_counter() - start)
                        misses += answer.status_code != 304
        finally:
            (STATIC / static_name).unlink()
        status_304 = (
            session.get(url, headers={"If-None-Match": etag}, timeout=60).status_code
            if etag
            else None
        )
        row: dict[str, object] = {
            "label": label,
            "path": path if len(path) < 60 else path[:57] + "...",
            "kind": kind,
            "bytes": len(body),
            "p50": percentile(page_t, 0.5),
            "p99": percentile(page_t, 0.99),
            "static_p50": percentile(static_t, 0.5),
            "static_p99": percentile(static_t, 0.99),
            "cond_p50": percentile(cond_t, 0.5) if cond_t else None,
            "cond_p99": percentile(cond_t, 0.99) if cond_t else None,
            "status_304": status_304,
            "items": body.count(b"BEGIN:VEVENT") if kind == "ics" else None,
            "misses": misses,
        }
        ok = status_304 == 304
        if kind == "html":
            ok = ok and len(body) <= HTML_BYTES and float(row["p99"]) <= HTML_P99  # type: ignore[arg-type]
        elif kind == "ics":
            ok = ok and float(row["p99"]) <= ICS_P99  # type: ignore[arg-type]
        row["met"] = ok
        met = met and ok
        results.append(row)
        say(
            f"{label}: {len(body) / 1024:.1f} KiB, p50 {row['p50'] * 1000:.1f} ms, "  # type: ignore[operator]
            f"p99 {row['p99'] * 1000:.1f} ms, 304: {status_304}"  # type: ignore[operator]
        )
    return results, met


def ms(value: object) -> str:
    return "—" if value is None else f"{float(value) * 1000:.1f}"  # type: ignore[arg-type]


def report(results: list[dict[str, object]], where: str) -> None:
    print(f"network pages on {where}")
    print(
        "| page | path | size | p50 / p99 (ms) | static file, same size: p50 / p99 "
        "| ratio p50 / p99 "
        "| 304: p50 / p99 | target |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    for r in results:
        size = f"{int(r['bytes']) / 1024:.1f} KiB"  # type: ignore[call-overload]
        if r["items"] is not None:
            size += f" ({r['items']} events)"
        ratio50 = float(r["p50"]) / float(r["static_p50"])  # type: ignore[arg-type]
        ratio99 = float(r["p99"]) / float(r["static_p99"])  # type: ignore[arg-type]
        print(
            f"| {r['label']} | `{r['path']}` | {size} | {ms(r['p50'])} / {ms(r['p99'])} "
            f"| {ms(r['static_p50'])} / {ms(r['static_p99'])} | {ratio50:.1f}× / {ratio99:.1f}× "
            f"| {ms(r['cond_p50'])} / {ms(r['cond_p99'])} ({r['misses']} not 304) "
            f"| {'met' if r['met'] else 'MISSED'} |"
        )


def plans(data_dir: Path, where: str) -> None:
    """The query plans of the pages' main statements (EXPLAIN), printed for the README."""
    from tests.bench.network_plans import print_plans

    print_plans(data_dir, where)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--spaces", type=int, default=1000)
    parser.add_argument("--events", type=int, default=20)
    parser.add_argument("--requests", type=int, default=200, help="per path")
    parser.add_argument("--postgres", action="store_true")
    parser.add_argument("--plans", action="store_true", help="print the query plans too")
    args = parser.parse_args()
    from node.bootstrap import init_node

    database_url = schema = None
    if args.postgres:
        from tests.support import PostgresSchema, postgres_url

        base = postgres_url()
        if base is None:
            say("--postgres needs SPAZI_TEST_POSTGRES_URL")
            return 2
        schema = PostgresSchema(base)
        database_url = schema.url
    where = "PostgreSQL" if args.postgres else "SQLite"
    try:
        with tempfile.TemporaryDirectory() as tmp:
            data = Path(tmp) / "node"
            port = free_port()
            settings: dict[str, object] = {"scheduler": False}
            if database_url:
                settings["database_url"] = database_url
            init_node(
                data, "Spazio Molo", f"http://127.0.0.1:{port}", timezone="Europe/Rome",
                profile={"city": "Genova", "district": "Porto", "country": "IT"},
                settings=settings,
            )  # fmt: skip
            started = time.perf_counter()
            fill(data, args.spaces, args.events, say)
            say(f"mirror stored in {time.perf_counter() - started:.0f} s")
            if args.plans:
                plans(data, where)
            node = NodeProcess(data, port)
            try:
                after_start = proc_status(node.process.pid)["VmRSS"]
                results, met = measure(node, args.requests)
                memory = proc_status(node.process.pid)["VmHWM"]
            finally:
                node.stop()
    finally:
        if schema is not None:
            schema.drop()
    report(results, f"{where}, {args.spaces} spaces × {args.events} events")
    memory_met = memory < MEMORY_KB
    print(f"node process: VmRSS after start-up {mb(after_start)}, peak (VmHWM) {mb(memory)}")
    print(target_line("every page: size, p99 and 304", met))
    print(target_line(f"peak memory under {mb(MEMORY_KB)}", memory_met))
    return 0 if met and memory_met else 1


if __name__ == "__main__":
    sys.exit(main())
