"""Shared pieces of the node benchmarks: realistic signed feeds, node data dirs, memory figures.

Not a test module (pytest collects only ``test_*.py``); the benchmarks import it as
``tests.bench.common`` and are run from the repository root with ``.venv/bin/python``.
"""

from __future__ import annotations

import gc
import os
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from federation.encoding import b64u_decode
from federation.entries import Entry, build_entry
from federation.keys import NodeKey
from federation.signing import Tag

DAY_MS = 86_400_000

_TITLES = [
    "Colazione dei coworker",
    "Workshop: contratti per freelance",
    "Apéro des indépendants",
    "Open studio night",
    "Laboratorio di stampa 3D",
]
_DESCRIPTION = (
    "Bring your laptop and meet the other members over coffee; we'll go round the table and "
    "everyone says what they are working on this month. Free for members and guests of twinned "
    "spaces."
)
_COHOST = NodeKey.from_seed(bytes([1]) * 32).did


def event_body(i: int, url: str = "https://spazio-a.example") -> dict[str, Any]:
    """A realistic ``event.put`` body (event ``ev-<i>``); optional fields vary with ``i``."""
    day = 1 + i % 28
    body: dict[str, Any] = {
        "id": f"ev-{i:06d}",
        "title": f"{_TITLES[i % len(_TITLES)]} #{i}",
        "start": f"2026-03-{day:02d}T09:00",
        "end": f"2026-03-{day:02d}T10:30",
        "timezone": "Europe/Rome",
        "capacity": 10 + i % 50,
        "tags": ["breakfast", "networking"][: 1 + i % 2],
        "url": f"{url}/events/{i}",
    }
    if i % 2 == 0:
        body["description"] = _DESCRIPTION
    if i % 3 == 0:
        body["price_minor"] = 500
        body["currency"] = "EUR"
    if i % 4 == 0:
        body["cohosts"] = [_COHOST]
    return body


def signing_message(entry: Entry) -> tuple[bytes, bytes]:
    """(signature, signed bytes) of an entry: what Ed25519 checks for it (tag + entry minus sig)."""
    member = b',"sig":"' + entry.sig.encode("ascii") + b'"'
    return b64u_decode(entry.sig), Tag.ENTRY.value + entry.raw.replace(member, b"", 1)


def fill_own_feed(
    data_dir: Path,
    count: int,
    *,
    batch: int = 1000,
    keep_every: int = 5,
    progress: Callable[[int], None] | None = None,
) -> list[Entry]:
    """Append ``count`` signed ``event.put`` entries (distinct events) to the node's own feed.

    Each entry is built and signed with ``federation.entries.build_entry`` by the node's own key
    and stored with ``node.feedstore.store_verified`` (feed row, head and projection) in
    transactions of ``batch`` entries: the same rows ``spazi event add`` would leave, without the
    per-entry HTTP and service overhead. Timestamps end about now, one second apart, so they are
    never in the future for the nodes serving and pulling them. Returns every ``keep_every``-th
    entry (a sample for the raw-rate baselines) rather than holding all of them in memory.
    """
    from node.feedstore import head, store_verified
    from node.runtime import open_node

    node = open_node(str(data_dir), environ={})
    kept: list[Entry] = []
    try:
        with node.db.read() as session:
            position = head(session, node.node_id)
        seq, prev = position.seq, position.hash
        first_ts = int(time.time() * 1000) - count * 1000 - 60_000
        done = 0
        while done < count:
            entries: list[Entry] = []
            for _ in range(min(batch, count - done)):
                seq += 1
                done += 1
                entry = build_entry(
                    node.key,
                    node.node_id,
                    seq,
                    prev,
                    first_ts + done * 1000,
                    "event.put",
                    event_body(done),
                )
                entries.append(entry)
                prev = entry.hash
                if done % keep_every == 0:
                    kept.append(entry)
            with node.db.write() as session:
                store_verified(session, node.node_id, entries, keyring_after=None)
            if progress is not None:
                progress(done)
    finally:
        node.close()
    return kept


def proc_status(pid: int) -> dict[str, int]:
    """VmHWM (peak resident set) and VmRSS of a live process, in kB, from /proc/<pid>/status."""
    figures: dict[str, int] = {}
    with open(f"/proc/{pid}/status", encoding="ascii") as handle:
        for line in handle:
            name, _, value = line.partition(":")
            if name in ("VmHWM", "VmRSS"):
                figures[name] = int(value.split()[0])
    return figures


def mb(kilobytes: float) -> str:
    return f"{kilobytes / 1024:.1f} MB"


@contextmanager
def stopwatch() -> Iterator[list[float]]:
    """``with stopwatch() as t: ...`` then ``t[0]`` holds the elapsed seconds."""
    gc.collect()
    holder: list[float] = [0.0]
    start = time.perf_counter()
    try:
        yield holder
    finally:
        holder[0] = time.perf_counter() - start


def say(text: str) -> None:
    """Progress line, flushed at once (the benchmarks take a while)."""
    print(text, file=sys.stderr, flush=True)


def env_with(**values: str) -> dict[str, str]:
    """The current environment plus ``SPAZI_*`` values for a node process or CLI call."""
    return {**os.environ, **values}


def target_line(label: str, met: bool) -> str:
    return f"{label}: {'met' if met else 'MISSED'}"
