"""Database engine and sessions. Sessions open at the request, job or CLI boundary only.

Two kinds of unit of work: :meth:`Database.read` and :meth:`Database.write`. On SQLite a write
transaction starts with ``BEGIN IMMEDIATE`` so it holds the write lock from the start: a feed append
reads the head and then writes the next seq, and two such appends must never interleave (a deferred
transaction would fail with SQLITE_BUSY when it tried to upgrade). PostgreSQL gets the same
guarantee from ``SELECT … FOR UPDATE`` on the origin's row (see ``node.feedstore``).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker


class Base(DeclarativeBase):
    """Declarative base of every node table."""


WAL_CHECKPOINT_PAGES = 8000  # of SQLite's default 4 KiB pages


def make_engine(url: str) -> Engine:
    """An engine for ``url``; SQLite gets WAL, foreign keys and a busy timeout."""
    kwargs: dict[str, Any] = {"pool_pre_ping": not url.startswith("sqlite")}
    if url.startswith("sqlite"):
        # Several threads (requests, scheduler) share a file database; each waits for the write
        # lock (up to 30 s) rather than failing at once.
        kwargs["connect_args"] = {"check_same_thread": False, "timeout": 30}
    engine = create_engine(url, **kwargs)
    if url.startswith("sqlite"):

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
            # Let SQLAlchemy's "begin" event issue BEGIN itself (pysqlite would defer it).
            dbapi_conn.isolation_level = None
            cursor = dbapi_conn.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA synchronous=NORMAL")
            # Checkpoint the WAL every ~32 MB instead of SQLite's 4 MB: a synced page of a
            # thousand entries writes about 2 MB, and rewriting the same index pages into the
            # database every other page cost a tenth of the time spent storing it. Everyday
            # writes are small, so the WAL only grows that far during a large sync.
            cursor.execute(f"PRAGMA wal_autocheckpoint={WAL_CHECKPOINT_PAGES}")
            cursor.close()

        @event.listens_for(engine, "begin")
        def _sqlite_begin(conn: Any) -> None:
            immediate = conn.get_execution_options().get("spazi_write", False)
            conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


class Database:
    """The node's engine with its read and write session factories."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = make_engine(url)
        self._reader = sessionmaker(self.engine, expire_on_commit=False)
        self._writer = sessionmaker(
            self.engine.execution_options(spazi_write=True), expire_on_commit=False
        )

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A read-only unit of work (rolled back at the end)."""
        # Closing the session rolls back whatever it began; reads never commit.
        with self._reader() as session:
            yield session

    @contextmanager
    def write(self) -> Iterator[Session]:
        """A unit of work that commits on success and rolls back on any exception."""
        with self._writer() as session, session.begin():
            yield session

    def dispose(self) -> None:
        self.engine.dispose()
