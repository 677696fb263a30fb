"""Benchmark: the CPU cost of each step of sync ingest's verification, in process, per entry.

No nodes, no HTTP, no storage: ``--entries`` signed ``event.put`` entries (the bodies of
``bench_sync_ingest.py``) are encoded once, then each step of the ingest path is timed over all
of them in CPU time (``time.process_time``, best of ``--runs``): strict parsing
(``parse_strict``), ``verify_page`` on one thread in pages of 1,000 (shape, canonical
re-encoding, body schema, hash chain and the signatures), and the bare signature check
(``verify_entry_signature`` on the same signing inputs). The difference between the last two is
the Python work of verification around the signature; the parts of it are timed alone too.
Storage is not included (``bench_sync_ingest.py --profile`` shows it). Prints figures only.
"""

from __future__ import annotations

import argparse
import gc
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from federation.canonical import encode_checked, parse_strict
from federation.entries import _check_shape, build_entry
from federation.feeds import Head, verify_page
from federation.keyring import Keyring
from federation.keys import NodeKey, verify_entry_signature
from federation.version import validate_body
from tests.bench.common import event_body, signing_message

PAGE = 1000
NOW_MS = 1_800_000_000_000  # after every entry's ts: none is dated in the future


def cpu_us(step: Callable[[], Any], count: int, runs: int) -> float:
    """Best CPU time of ``runs`` calls of ``step``, in µs per entry (``count`` entries a call)."""
    best = float("inf")
    for _ in range(runs):
        gc.collect()
        start = time.process_time()
        step()
        best = min(best, time.process_time() - start)
    return best / count * 1e6


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    key = NodeKey.generate()
    origin = key.did
    entries, prev = [], None
    for seq in range(1, args.entries + 1):
        entry = build_entry(
            key, origin, seq, prev, 1_760_000_000_000 + seq, "event.put", event_body(seq)
        )
        entries.append(entry)
        prev = entry.hash
    raws = [e.raw for e in entries]
    docs = [parse_strict(raw) for raw in raws]
    inputs = [signing_message(e) for e in entries]
    public = key.public
    count = len(entries)

    def parse() -> None:
        for raw in raws:
            parse_strict(raw)

    def verify_pages() -> None:
        head = Head(0, None)
        ring = Keyring()
        for start in range(0, count, PAGE):
            page = verify_page(
                origin, head, docs[start : start + PAGE], ring, NOW_MS, True, PAGE, 1
            )
            head = Head(page[-1].seq, page[-1].hash)

    def bare() -> None:
        for signature, message in inputs:
            verify_entry_signature(public, signature, message)

    def shape() -> None:
        for doc in docs:
            _check_shape(doc)

    def encode() -> None:
        for doc in docs:
            encode_checked(doc)

    def schema() -> None:
        for doc in docs:
            validate_body("event.put", doc["body"])

    verify_pages()  # once untimed: a wrong page raises here rather than skewing a figure
    figures = {
        "parse_strict": cpu_us(parse, count, args.runs),
        "verify_page (1 thread)": cpu_us(verify_pages, count, args.runs),
        "bare signature check": cpu_us(bare, count, args.runs),
        "  of it: _check_shape": cpu_us(shape, count, args.runs),
        "  of it: encode_checked": cpu_us(encode, count, args.runs),
        "  of it: validate_body": cpu_us(schema, count, args.runs),
    }
    print(f"{count} event.put entries, CPU µs per entry (best of {args.runs}):")
    for name, value in figures.items():
        print(f"  {name:28s} {value:7.1f}")
    around = figures["verify_page (1 thread)"] - figures["bare signature check"]
    print(f"  {'verify_page beyond the sig':28s} {around:7.1f}")
    path = figures["parse_strict"] + figures["verify_page (1 thread)"]
    print(
        f"parse + verify_page per CPU second / bare verifies per CPU second: "
        f"{figures['bare signature check'] / path:.1%} (storage not included)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
