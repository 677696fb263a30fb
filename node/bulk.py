"""Inserting many rows at once, for the sync hot path.

``session.execute(insert(table), rows)`` runs each row through SQLAlchemy's parameter machinery
(a compiled-parameter dict per row, then the type processors); for a synced page of a thousand
entries that costs several microseconds per row on top of the database's own work. Here the
statement is compiled once for the connection's dialect, each column's bind processor is looked
up once, and the DBAPI ``executemany`` receives the processed rows directly. The values stored
are those SQLAlchemy would store (the same dialect processors are applied), except in the
``json_text`` columns, whose text is canonical JSON rather than ``json.dumps`` output: it
decodes to the same value.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from operator import itemgetter
from typing import Any

from sqlalchemy import Table, insert
from sqlalchemy.orm import Session


def insert_rows(
    session: Session,
    table: Table,
    rows: Sequence[Mapping[str, Any]],
    *,
    json_text: Collection[str] = (),
) -> None:
    """INSERT ``rows`` (dicts with the same keys) into ``table`` in the session's transaction.

    Every column SQLAlchemy would bind must be given (column defaults are not filled in).

    ``json_text`` names JSON columns whose values are already JSON text (for example the
    canonical bytes of a signed body, decoded): they are stored as given instead of being
    encoded again. Every other value goes through its column type's bind processor.
    """
    if not rows:
        return
    session.flush()  # as session.execute would: pending ORM rows first (foreign keys)
    connection = session.connection()
    dialect = connection.dialect
    names = list(rows[0])
    compiled = insert(table).compile(dialect=dialect, column_keys=names)
    bound = set(compiled.positiontup or compiled.binds)
    if bound != set(names):
        # A column left out would be bound to its default by SQLAlchemy's own INSERT; here every
        # value must be given (no default is filled in behind the caller's back).
        raise ValueError(f"insert_rows into {table.name}: give exactly {sorted(bound)}")
    processors: dict[str, Callable[[Any], Any] | None] = {
        name: (
            None
            if name in json_text
            else table.c[name].type.dialect_impl(dialect).bind_processor(dialect)
        )
        for name in names
    }
    if compiled.positional:
        order = list(compiled.positiontup or ())
        # Whole rows through one C-level getter; only columns with a processor get a Python call.
        fetch = itemgetter(*order)
        convert = [(index, step) for index, name in enumerate(order) if (step := processors[name])]
        params: list[Any] = []
        for row in rows:
            values = fetch(row)
            if len(order) == 1:
                values = (values,)
            if convert:
                converted = list(values)
                for index, step in convert:
                    converted[index] = step(converted[index])
                values = tuple(converted)
            params.append(values)
    else:
        steps = list(processors.items())
        params = [
            {name: row[name] if step is None else step(row[name]) for name, step in steps}
            for row in rows
        ]
    connection.exec_driver_sql(compiled.string, params)
