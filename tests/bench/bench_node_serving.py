"""Benchmark: a real node process serving feed pages, against raw canonical-JSON encoding.

Run from the repository root: ``.venv/bin/python tests/bench/bench_node_serving.py
[--entries 100000] [--page 500] [--rounds 3]``

What it does, in one run:

1. ``spazi init`` a node on a free loopback port, then appends ``--entries`` signed ``event.put``
   entries (distinct events) to its own feed in-process (``build_entry`` + ``store_verified``, in
   transactions of 1000); the feed also holds the ``space.profile`` entry ``spazi init`` wrote.
2. Starts the node as a real ``spazi run`` process (scheduler off: nothing else runs in it) and,
   from this process, fetches ``/federation/v1/feeds/<id>?after=N&limit=<page>`` with requests
   over one keep-alive connection until it has the whole feed, ``--rounds`` times; the best pass
   is the serving rate (entries served per second, client included: a single client waits for
   each page). Bodies are kept as bytes during the pass and only checked afterwards.
3. Checks what was served: parses every page strictly, checks the count and seq order, and
   verifies every entry's signature and chain with ``federation.feeds.verify_page``.
4. Times ``federation.canonical.canonicalize`` over the same entries as parsed dicts (best of
   ``--rounds``): the raw canonical-JSON encode rate of this machine for these entries.
5. Prints the serving rate, the encode rate, their ratio (target ≥ 50 %: entries are stored as
   their canonical bytes, so a page is mostly a copy) and the node process's peak resident memory
   (VmHWM from /proc/<pid>/status; target < 150 MB).

Exit status 0 when both targets are met. The file name does not match ``test_*.py``: pytest
never collects it.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # run as a plain script

import requests

from federation.canonical import canonicalize, parse_strict
from federation.feeds import Head, verify_page
from federation.keyring import Keyring
from tests.bench.common import (
    fill_own_feed,
    mb,
    proc_status,
    say,
    stopwatch,
    target_line,
)
from tests.e2e.processes import NodeProcess, free_port, spazi

RATIO_TARGET = 0.50
MEMORY_TARGET_MB = 150
PAGE_BYTES_LIMIT = 8 * 1024 * 1024


def fetch_feed(http: requests.Session, url: str, origin: str, total: int, page: int) -> list[bytes]:
    """Every page of ``origin`` from ``url`` as raw bodies (``after`` advances by ``page``)."""
    bodies: list[bytes] = []
    after = 0
    while after < total:
        response = http.get(
            f"{url}/federation/v1/feeds/{origin}", params={"after": after, "limit": page}
        )
        if response.status_code != 200:
            raise SystemExit(f"page after={after}: HTTP {response.status_code} {response.text}")
        bodies.append(response.content)
        after += page
    return bodies


def check_pages(bodies: list[bytes], origin: str, total: int) -> list[dict]:
    """Parse the served pages and verify every entry as the continuation of the one before."""
    entries: list[dict] = []
    for body in bodies:
        doc = parse_strict(body, max_bytes=PAGE_BYTES_LIMIT)
        if doc["origin"] != origin:
            raise SystemExit("a page names another origin")
        entries.extend(doc["entries"])
    if [e["seq"] for e in entries] != list(range(1, total + 1)):
        raise SystemExit(f"served {len(entries)} entries, not seq 1..{total} in order")
    now_ms = int(time.time() * 1000)
    head, ring = Head(), Keyring()
    for start in range(0, total, 1000):
        chunk = verify_page(origin, head, entries[start : start + 1000], ring, now_ms, True)
        head = Head(chunk[-1].seq, chunk[-1].hash)
    return entries


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--entries", type=int, default=100_000)
    parser.add_argument("--page", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--keep", action="store_true", help="keep the node's data dir")
    args = parser.parse_args(argv)

    workdir = Path(tempfile.mkdtemp(prefix="spazi-bench-serving-"))
    data, port = workdir / "node", free_port()
    init = spazi("init", str(data), "--name", "Bench", "--url", f"http://127.0.0.1:{port}")
    origin = next(w for w in init.stdout.split() if w.startswith("did:key:"))
    say(f"filling {data} with {args.entries} signed entries...")
    with stopwatch() as filled:
        fill_own_feed(
            data, args.entries, progress=lambda n: n % 10_000 == 0 and say(f"  {n} stored")
        )
    say(f"  done in {filled[0]:.0f} s")
    total = args.entries + 1  # plus the space.profile entry of `spazi init`

    process = NodeProcess(data, port, env={"SPAZI_SCHEDULER": "false"})
    try:
        pid = process.process.pid
        at_start = proc_status(pid)
        passes: list[float] = []
        bodies: list[bytes] = []
        with requests.Session() as http:
            fetch_feed(http, process.url, origin, min(total, 5 * args.page), args.page)  # warm up
            for round_number in range(1, args.rounds + 1):
                with stopwatch() as took:
                    bodies = fetch_feed(http, process.url, origin, total, args.page)
                passes.append(took[0])
                say(f"  pass {round_number}: {total / took[0]:,.0f} entries/s ({took[0]:.2f} s)")
        memory = proc_status(pid)
    finally:
        process.stop()

    say("checking every served entry (strict parse, signatures, chain)...")
    entries = check_pages(bodies, origin, total)
    served_bytes = sum(len(b) for b in bodies)

    encodes: list[float] = []
    for _ in range(args.rounds):
        with stopwatch() as took:
            for entry in entries:
                canonicalize(entry)
        encodes.append(took[0])

    serve_rate = total / min(passes)
    encode_rate = total / min(encodes)
    ratio = serve_rate / encode_rate
    peak_mb = memory["VmHWM"] / 1024
    print()
    print(f"feed: {total} entries ({args.entries} event.put + profile), page {args.page}, "
          f"{len(bodies)} requests per pass, {served_bytes / 1e6:.1f} MB per pass")  # fmt: skip
    print(f"served (spazi run, one client):   {serve_rate:10,.0f} entries/s "
          f"({min(passes):.2f} s per pass, best of {len(passes)})")  # fmt: skip
    print(f"canonicalize, same entries:       {encode_rate:10,.0f} entries/s")
    print(f"ratio served / encode:            {ratio:10.1%}")
    print(f"node process memory: VmHWM {mb(memory['VmHWM'])} "
          f"(VmRSS {mb(memory['VmRSS'])}; {mb(at_start['VmRSS'])} after start-up)")  # fmt: skip
    print(target_line(f"target ratio ≥ {RATIO_TARGET:.0%}", ratio >= RATIO_TARGET))
    print(target_line(f"target peak memory < {MEMORY_TARGET_MB} MB", peak_mb < MEMORY_TARGET_MB))
    if args.keep:
        print(f"data dir kept: {data}")
    else:
        import shutil

        shutil.rmtree(workdir, ignore_errors=True)
    return 0 if ratio >= RATIO_TARGET and peak_mb < MEMORY_TARGET_MB else 1


if __name__ == "__main__":
    sys.exit(main())
