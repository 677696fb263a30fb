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

from sqlalchemy import String, Table, create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.sql.dml import Insert


class Base(DeclarativeBase):
    """Declarative base of every node table."""


# Column types every feature's tables share: a node id (did:key) and a SHA-256 in hex.
# Integer keys are 32-bit in every database the node runs on: a larger number names no row (and
# must be answered "not found", not reach the driver as an overflow).
MAX_KEY = 2**31 - 1


def fits_key(number: int) -> bool:
    """Whether ``number`` can be an integer key at all."""
    return 0 < number <= MAX_KEY


DID = String(80)
HASH = String(64)


WAL_CHECKPOINT_PAGES = 8000  # of SQLite's default 4 KiB pages
DEFAULT_BUSY_MS = 5000
# Seconds a client is told to wait when the database is busy or full.
RETRY_AFTER_S = 5

# Words of the drivers' messages (SQLite, psycopg) for a database that cannot serve right now,
# each with what to tell people. Anything else is a bug or a broken database and stays a 500.
_UNAVAILABLE = (
    (("database is locked", "database table is locked", "lock timeout", "deadlock"),
     "the database is busy (another process holds its lock)"),
    (("database or disk is full", "no space left", "disk full"),
     "the disk of the database is full"),
    (("disk i/o error",), "the database's disk reports an I/O error"),
    (("could not connect", "connection refused", "server closed the connection",
      "terminating connection", "the database system is starting up"),
     "the database server cannot be reached"),
)  # fmt: skip


def unavailable(exc: BaseException) -> str | None:
    """Why the database cannot serve now (busy, full, unreachable), or None for other errors.

    Such a failure is temporary and no fault of the request: it becomes a 503 with
    ``Retry-After`` over HTTP, one line on the CLI and one log line per job run.
    """
    if isinstance(exc, PoolTimeout):
        return "the database is busy (no free connection)"
    if not isinstance(exc, DBAPIError):
        return None
    text = str(exc.orig if exc.orig is not None else exc).lower()
    for words, reason in _UNAVAILABLE:
        if any(word in text for word in words):
            return reason
    return None


def make_engine(url: str, busy_timeout_ms: int = DEFAULT_BUSY_MS) -> Engine:
    """An engine for ``url``; SQLite gets WAL, foreign keys and a busy timeout."""
    kwargs: dict[str, Any] = {"pool_pre_ping": not url.startswith("sqlite")}
    if url.startswith("sqlite"):
        # Several threads (requests, scheduler) share a file database; each waits a few seconds
        # for the write lock rather than failing at once, but not so long that a request hangs
        # (the db_busy_timeout_ms setting): then it is answered with 503 and Retry-After.
        kwargs["connect_args"] = {"check_same_thread": False, "timeout": busy_timeout_ms / 1000}
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
            # Deleted content is overwritten with zeros, not left in free space: an erased
            # profile must leave the file (node/people/erasure.py).
            cursor.execute("PRAGMA secure_delete=ON")
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

    def __init__(self, url: str, busy_timeout_ms: int = DEFAULT_BUSY_MS) -> None:
        self.url = url
        self.engine = make_engine(url, busy_timeout_ms)
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


def insert_or_ignore(session: Session, table: Table | type[Base]) -> Insert:
    """``INSERT … ON CONFLICT DO NOTHING`` into ``table`` (or a model's table) for the
    session's database: one
    statement where a savepoint around a plain insert would take three round trips."""
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects import postgresql  # imported when used: CLI start-up time

        return postgresql.insert(table).on_conflict_do_nothing()
    from sqlalchemy.dialects import sqlite

    return sqlite.insert(table).on_conflict_do_nothing()
