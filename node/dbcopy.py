"""``spazi db copy --to URL``: move a node's database to another one (SQLite to PostgreSQL).

The target gets the schema from the migrations (so it is exactly what ``spazi db upgrade``
would make there), then every table's rows in foreign-key order, read from one snapshot of the
source and written in one transaction on the target: a failure leaves the target's tables
empty and a second run can start again. Then it is checked (deploy/README.md §PostgreSQL):
the row count of every table, and the node's own feed re-verified from the target as a
peer would. The source is never written to.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import DateTime, Integer, Table, func, insert, inspect, select, text
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.exc import ArgumentError, OperationalError

from node.db import Base, Database
from node.errors import Conflict, InvalidInput
from node.features import load_models
from node.migrate import current_revision, head_revision, upgrade

BATCH = 1000  # rows per INSERT: bounded memory for a feed of millions of entries
IGNORED = {"alembic_version", "sqlite_sequence"}


@dataclass(frozen=True)
class CopyStep:
    """Progress: ``table`` has ``done`` of its ``total`` rows on the target."""

    table: str
    done: int
    total: int


@dataclass(frozen=True)
class CopyReport:
    """What was copied: rows per table, in the order they were written."""

    rows: dict[str, int]

    @property
    def total(self) -> int:
        """Rows copied over all tables."""
        return sum(self.rows.values())


def target_url(url: str) -> str:
    """``url`` checked as a database URL SQLAlchemy can open, or a clear refusal."""
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise InvalidInput(
            f"--to {url!r} is not a database URL: give e.g. "
            "postgresql+psycopg://spazi@127.0.0.1:5432/spazi"
        ) from exc
    if not parsed.drivername.startswith(("postgresql", "sqlite")):
        raise InvalidInput(f"--to: {parsed.drivername} is not supported (PostgreSQL or SQLite)")
    return url


def tables() -> list[Table]:
    """Every table of the node, parents before children."""
    load_models()
    return list(Base.metadata.sorted_tables)


def _check_target_empty(conn: Connection, ours: list[Table]) -> None:
    present = set(inspect(conn).get_table_names()) - IGNORED
    if not present:
        return
    unknown = present - {table.name for table in ours}
    if unknown:
        raise Conflict(
            "the target database holds tables that are not the node's "
            f"({', '.join(sorted(unknown))}): give an empty database"
        )
    for table in ours:
        if table.name in present and conn.scalar(select(func.count()).select_from(table)):
            raise Conflict(
                f"the target database already holds rows (in {table.name}): give an empty database"
            )


def _counts(conn: Connection, ours: list[Table]) -> dict[str, int]:
    return {
        table.name: int(conn.scalar(select(func.count()).select_from(table)) or 0) for table in ours
    }


def _reset_sequences(conn: Connection, ours: list[Table]) -> None:
    """PostgreSQL: move each serial key's sequence past the copied ids, or the node's next
    insert would collide with a copied row."""
    for table in ours:
        keys = list(table.primary_key.columns)
        if len(keys) != 1 or not isinstance(keys[0].type, Integer):
            continue
        sequence = conn.scalar(
            text("SELECT pg_get_serial_sequence(:table, :column)"),
            {"table": table.name, "column": keys[0].name},
        )
        if sequence:
            highest = conn.scalar(select(func.max(keys[0])))
            conn.execute(
                text("SELECT setval(CAST(:seq AS regclass), :next, false)"),
                {"seq": sequence, "next": int(highest or 0) + 1},
            )


def copy_database(
    source: Database, url: str, on_step: Callable[[CopyStep], None] | None = None
) -> CopyReport:
    """Copy every row of ``source`` into the (empty) database at ``url``, then check the counts.

    Raises :class:`Conflict` when the source is not migrated to the newest schema, the target is
    not empty, or the source changed while it was copied (stop the node first).
    """
    ours = tables()
    revision = current_revision(source.engine)
    if revision != head_revision():
        raise Conflict("the node's database is not on the newest schema: run `spazi db upgrade`")
    target = Database(target_url(url))
    try:
        if str(target.engine.url) == str(source.engine.url):
            raise InvalidInput("--to names the database the node already uses")
        try:
            with target.engine.connect() as conn:
                _check_target_empty(conn, ours)
        except OperationalError as exc:
            why = str(exc.orig or exc).strip().splitlines()[0]
            raise InvalidInput(f"cannot open the target database: {why}") from exc
        upgrade(target.engine)
        # One read transaction: on SQLite (WAL) and PostgreSQL (repeatable read) alike every
        # table is read from the same snapshot, so the copy is consistent with itself.
        snapshot = {} if source.is_sqlite else {"isolation_level": "REPEATABLE READ"}
        with (
            source.engine.connect().execution_options(**snapshot) as reader,
            reader.begin(),
            target.engine.begin() as writer,
        ):
            expected = _counts(reader, ours)
            for table in ours:
                _copy_table(reader, writer, table, expected[table.name], on_step)
            if not target.is_sqlite:
                _reset_sequences(writer, ours)
            copied = _counts(writer, ours)
            if copied != expected:
                differing = [name for name in expected if copied[name] != expected[name]]
                raise Conflict(f"row counts differ after the copy in {', '.join(differing)}")
        with source.engine.connect() as reader:
            if _counts(reader, ours) != expected:
                _empty(target.engine, ours)
                raise Conflict(
                    "the node wrote to its database during the copy: stop it (and its worker), "
                    "then run `spazi db copy` again"
                )
        return CopyReport(expected)
    finally:
        target.dispose()


def _copy_table(
    reader: Connection,
    writer: Connection,
    table: Table,
    total: int,
    on_step: Callable[[CopyStep], None] | None,
) -> None:
    order = list(table.primary_key.columns) or list(table.columns)
    rows = reader.execution_options(stream_results=True, yield_per=BATCH).execute(
        select(table).order_by(*order)
    )
    # SQLite hands back the node's UTC times without a zone; PostgreSQL would read them in its
    # session's zone. Each is marked UTC before it is written.
    aware = [c.name for c in table.columns if isinstance(c.type, DateTime) and c.type.timezone]
    done = 0
    for batch in rows.partitions(BATCH):
        values = [dict(row._mapping) for row in batch]
        for value in values:
            for name in aware:
                moment = value.get(name)
                if isinstance(moment, datetime) and moment.tzinfo is None:
                    value[name] = moment.replace(tzinfo=UTC)
        writer.execute(insert(table), values)
        done += len(batch)
        if on_step is not None:
            on_step(CopyStep(table.name, done, total))
    if done == 0 and on_step is not None:
        on_step(CopyStep(table.name, 0, 0))


def _empty(engine: Engine, ours: list[Table]) -> None:
    """Delete the copied rows again (children first), leaving the target as a second run
    expects it."""
    with engine.begin() as conn:
        for table in reversed(ours):
            conn.execute(table.delete())
