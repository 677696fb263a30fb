"""Settling an in-process network by copying rows: one node's stored mirror, copied into others.

``bench_convergence.py --settle copy`` needs every node to hold every other node's feed before
it measures anything. Storing them (``feedstore.store_verified``: rows, head and projection) costs
~6 ms per (node, origin) pair, 1.8 h at 1,000 nodes. But what storing leaves in a node is a pure
function of the feeds it stores, apart from a few per-node columns, so two *reference* nodes are
settled by storing, and every other node's database (each its own SQLite file) receives the same
rows with ``ATTACH`` + ``INSERT … SELECT``:

- ``feed_entries``, ``spaces`` and ``key_periods`` of every origin other than the node itself are
  the reference's rows (the node's partial copies of its peers' feeds are replaced by the full
  ones); the first reference's own feed comes from the second reference;
- ``origins``: a row the node already had keeps its ``first_seen`` and ``relayed_by`` (as
  ``ensure_origin`` keeps them) and takes the reference's head, ``updated`` set to ``now`` when the
  head moved; a new row gets ``now`` and ``relayed_by`` the node's own peer on a shortest path to
  the origin (the one a real pull would most likely have come through, as ``mirror`` chooses);
- ``node_addresses``: the rows the node had stay (the projector keeps the first announcer), the
  others are the reference's. Which announcer and seq a row names depends on the order the feeds
  were stored in, so ``announced_by`` and ``seq`` are the per-node columns of this table.

``test_bench_settle_copy.py`` checks, at a few nodes, that a node settled this way equals the
same node settled by ``store_verified``, every table and row, apart from those two columns; the
benchmark then runs real settling rounds, which must move nothing.

Not a test module; imported by ``bench_convergence.py`` as ``tests.bench.settle_copy``.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path

# The tables ``store_verified`` writes for the feeds of a settling network (profiles, peer lists,
# key rotations). ``tables_changed`` tells a caller when storing touched any other.
FEED_TABLES = frozenset({"origins", "feed_entries", "spaces", "key_periods", "node_addresses"})


def table_counts(path: Path) -> dict[str, int]:
    """Rows per table of the SQLite file ``path``."""
    with sqlite3.connect(path) as conn:
        names = [
            row[0]
            for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
            if not row[0].startswith("sqlite_")
        ]
        return {n: conn.execute(f'SELECT count(*) FROM "{n}"').fetchone()[0] for n in names}


def tables_changed(before: Mapping[str, int], after: Mapping[str, int]) -> set[str]:
    """The tables whose row counts differ between two ``table_counts``."""
    return {name for name in after if before.get(name) != after[name]}


def _stamp(moment: datetime) -> str:
    # The text SQLAlchemy's SQLite DATETIME type stores (see the origins rows it writes).
    return moment.strftime("%Y-%m-%d %H:%M:%S.%f")


def copy_mirror(
    target: Path,
    own_id: str,
    first: Path,
    first_id: str,
    second: Path,
    relays: Mapping[str, str],
    now: datetime,
) -> int:
    """Give the node whose database is ``target`` (node ``own_id``) every feed the reference
    ``first`` holds, and ``first_id``'s own feed from the reference ``second``; both references
    must already hold every feed. ``relays``: origin → the node's peer towards it (for the origins
    it is new to). One transaction; returns the feed entries copied.
    """
    conn = sqlite3.connect(target, isolation_level=None)
    try:
        conn.execute("PRAGMA foreign_keys = ON")
        conn.execute("ATTACH DATABASE ? AS first", (f"{first}",))
        conn.execute("ATTACH DATABASE ? AS second", (f"{second}",))
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("CREATE TEMP TABLE take (origin TEXT PRIMARY KEY, src TEXT, relay TEXT)")
        rows = [
            (origin, "first", relays.get(origin))
            for (origin,) in conn.execute(
                "SELECT id FROM first.origins WHERE is_self = 0 AND id != ?", (own_id,)
            )
        ]
        if first_id != own_id:
            rows.append((first_id, "second", relays.get(first_id)))
        conn.executemany("INSERT INTO temp.take VALUES (?, ?, ?)", rows)
        stamp = _stamp(now)
        copied = 0
        for src in ("first", "second"):
            chosen = f"SELECT origin FROM temp.take WHERE src = '{src}'"
            for table in ("feed_entries", "spaces", "key_periods"):
                conn.execute(f"DELETE FROM main.{table} WHERE origin IN ({chosen})")
            # Rows the node had: the reference's head; first_seen and relayed_by stay its own.
            conn.execute(
                f"UPDATE main.origins SET (head_seq, head_hash, status, updated) = "
                f"(SELECT r.head_seq, r.head_hash, r.status, ? FROM {src}.origins r "
                f" WHERE r.id = main.origins.id) "
                f"WHERE id IN ({chosen}) AND head_seq < "
                f"(SELECT r.head_seq FROM {src}.origins r WHERE r.id = main.origins.id)",
                (stamp,),
            )
            conn.execute(
                f"INSERT INTO main.origins "
                f"(id, is_self, head_seq, head_hash, status, first_seen, updated, relayed_by) "
                f"SELECT r.id, 0, r.head_seq, r.head_hash, r.status, ?, ?, t.relay "
                f"FROM {src}.origins r JOIN temp.take t ON t.origin = r.id AND t.src = '{src}' "
                f"WHERE r.id NOT IN (SELECT id FROM main.origins)",
                (stamp, stamp),
            )
            copied += conn.execute(
                f"INSERT INTO main.feed_entries SELECT * FROM {src}.feed_entries "
                f"WHERE origin IN ({chosen})"
            ).rowcount
            for table in ("spaces", "key_periods"):
                conn.execute(
                    f"INSERT INTO main.{table} SELECT * FROM {src}.{table} "
                    f"WHERE origin IN ({chosen})"
                )
            conn.execute(
                f"INSERT OR IGNORE INTO main.node_addresses SELECT * FROM {src}.node_addresses"
            )
        conn.execute("DROP TABLE temp.take")
        conn.execute("COMMIT")
        conn.execute("DETACH DATABASE first")
        conn.execute("DETACH DATABASE second")
        return copied
    finally:
        conn.close()
