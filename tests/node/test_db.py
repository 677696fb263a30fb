"""The SQLite connection settings every node connection gets."""

from __future__ import annotations

from pathlib import Path

from node.db import WAL_CHECKPOINT_PAGES, Database


def test_sqlite_connections_get_the_node_pragmas(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'node.db'}")
    try:
        with db.engine.connect() as connection:
            pragma = connection.exec_driver_sql
            assert pragma("PRAGMA journal_mode").scalar() == "wal"
            assert pragma("PRAGMA foreign_keys").scalar() == 1
            assert pragma("PRAGMA synchronous").scalar() == 1  # NORMAL
            assert pragma("PRAGMA wal_autocheckpoint").scalar() == WAL_CHECKPOINT_PAGES
    finally:
        db.dispose()
