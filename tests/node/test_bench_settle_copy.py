"""The convergence benchmark's settling by copy leaves each node as storing every feed would.

A small network (real nodes, invite-code peerings, real signatures) is snapshotted after peering;
the live nodes are then settled the way ``bench_convergence.py --settle store`` does
(``store_verified`` of every feed in every node), and the snapshot of each node is settled by
copying the rows of two of those nodes (``tests/bench/settle_copy.py``). Every table of every
node must be equal, row for row, apart from the columns that file names as per-node.
"""

from __future__ import annotations

import random
import sqlite3
from pathlib import Path

from tests.bench.bench_convergence import (
    database_file,
    empty_database,
    mirror,
    next_hops,
    random_graph,
)
from tests.bench.settle_copy import copy_mirror
from tests.network import Network
from tests.support import FakeClock

# Which announcer a node's address row names, and its seq, depend on the order feeds arrived.
PER_NODE = {"node_addresses": {"announced_by", "seq"}}


def dump(path: Path) -> dict[str, list[tuple[object, ...]]]:
    """Every table's rows, sorted, with the per-node columns left out."""
    tables: dict[str, list[tuple[object, ...]]] = {}
    with sqlite3.connect(path) as conn:
        names = [
            row[0]
            for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
            if not row[0].startswith("sqlite_")
        ]
        for name in names:
            columns = [row[1] for row in conn.execute(f'PRAGMA table_info("{name}")')]
            kept = [c for c in columns if c not in PER_NODE.get(name, set())]
            chosen = ", ".join(f'"{c}"' for c in kept)
            tables[name] = sorted(
                conn.execute(f'SELECT {chosen} FROM "{name}"').fetchall(), key=repr
            )
    return tables


def snapshot(source: Path, target: Path) -> None:
    with sqlite3.connect(source) as live, sqlite3.connect(target) as copy:
        live.backup(copy)


def test_a_copy_settled_node_equals_the_same_node_settled_by_storing(tmp_path: Path) -> None:
    count = 10
    edges = random_graph(count, 3, 5, random.Random(7))
    names = [f"n{i}" for i in range(count)]
    net = Network(tmp_path / "net", FakeClock())
    try:
        template = empty_database(tmp_path)
        for i, name in enumerate(names):
            net.add(name, title=f"Space {i}", template_db=template)
        for a, b in edges:
            net.peer(names[a], names[b])
        (tmp_path / "snap").mkdir()
        snaps = [tmp_path / "snap" / f"{name}.db" for name in names]
        for name, snap in zip(names, snaps, strict=True):
            snapshot(database_file(net, name), snap)
        peered = [dump(snap) for snap in snaps]

        assert mirror(net, names, edges) > 0
        stored = [dump(database_file(net, name)) for name in names]

        towards = next_hops(count, edges)
        ids = [net[name].id for name in names]
        first, second = database_file(net, names[0]), database_file(net, names[1])
        for index in range(2, count):
            relays = {ids[o]: ids[towards[o][index]] for o in range(count) if o != index}
            now = net[names[index]].node.now()
            copied = copy_mirror(snaps[index], ids[index], first, ids[0], second, relays, now)
            assert copied > 0
            assert dump(snaps[index]) == stored[index], names[index]
            assert stored[index] != peered[index]  # settling did change the node
            with sqlite3.connect(snaps[index]) as conn:
                assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
                heads = dict(conn.execute("SELECT id, head_seq FROM origins").fetchall())
            assert set(heads) == set(ids) and all(seq > 0 for seq in heads.values())
    finally:
        net.close()
