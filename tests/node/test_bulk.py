"""node.bulk.insert_rows stores exactly what SQLAlchemy's own INSERT stores, on both databases."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any, cast

import pytest
from sqlalchemy import Table, insert, select
from sqlalchemy.exc import IntegrityError

from federation.canonical import canonicalize
from node.bulk import insert_rows
from node.models import Event
from tests.support import SpaceNode

EVENTS = cast(Table, Event.__table__)


def _row(event_id: str) -> dict[str, Any]:
    body = {"id": event_id, "title": 'Caffè ☕ & "quotes"', "tags": ["a"], "capacity": 3}
    return {
        "origin": "",  # filled in with the node's id
        "id": event_id,
        "title": body["title"],
        "start_utc": datetime(2026, 3, 5, 8, 0, tzinfo=UTC),
        "end_utc": datetime(2026, 3, 5, 9, 30, 15, 250, tzinfo=UTC),
        "tags": ",a,",
        "cohosts": "",
        "body": body,
        "cancelled": False,
        "cancel_reason": None,
        "seq": 2**40,
        "ts": 1_700_000_000_000,
    }


def _stored(space: SpaceNode, event_id: str) -> dict[str, Any]:
    """The row as the database holds it (raw DBAPI values, no result processing)."""
    with space.node.db.read() as session:
        sql = select(EVENTS).where(EVENTS.c.id == event_id)
        compiled = sql.compile(dialect=session.connection().dialect)
        params = compiled.params
        if compiled.positional:
            args: Any = tuple(params[name] for name in compiled.positiontup or ())
        else:
            args = params
        row = session.connection().exec_driver_sql(compiled.string, args).one()
    values = dict(row._mapping)
    del values["id"]  # differs on purpose
    return values


def test_rows_match_sqlalchemys_insert(space: SpaceNode) -> None:
    reference, fast = _row("by-core"), _row("by-bulk")
    reference["origin"] = fast["origin"] = space.id
    fast_text = {**fast, "body": canonicalize(fast["body"]).decode()}
    with space.node.db.write() as session:
        session.execute(insert(EVENTS), [reference])
        insert_rows(session, EVENTS, [fast_text], json_text={"body"})
    core, bulk = _stored(space, "by-core"), _stored(space, "by-bulk")
    assert core.keys() == bulk.keys()
    for name in core:
        a, b = core[name], bulk[name]
        if name == "body":  # the same JSON, perhaps spaced otherwise: compare what it means
            a, b = ({**(v if isinstance(v, dict) else json.loads(v)), "id": "-"} for v in (a, b))
        assert a == b, name
    with space.node.db.read() as session:
        loaded = session.get(Event, (space.id, "by-bulk"))
        assert loaded is not None and loaded.body == fast["body"]
        assert loaded.end_utc.replace(tzinfo=UTC) == reference["end_utc"]


def test_a_failing_insert_leaves_nothing(space: SpaceNode) -> None:
    rows = [_row("one"), _row("one")]  # the second breaks the primary key
    for row in rows:
        row["origin"] = space.id
        row["body"] = canonicalize(row["body"]).decode()
    before = space.counts()
    with pytest.raises(IntegrityError), space.node.db.write() as session:
        insert_rows(session, EVENTS, rows, json_text={"body"})
    assert space.counts() == before


def test_no_rows_is_no_statement(space: SpaceNode) -> None:
    before = space.counts()
    with space.node.db.write() as session:
        insert_rows(session, EVENTS, [])
    assert space.counts() == before


def test_a_row_missing_a_column_is_refused_before_anything_is_written(space: SpaceNode) -> None:
    row = _row("partial")
    row["origin"] = space.id
    del row["tags"]  # has a default in the model; insert_rows does not fill defaults in
    before = space.counts()
    with pytest.raises(ValueError, match="give exactly"), space.node.db.write() as session:
        insert_rows(session, EVENTS, [row], json_text={"body"})
    assert space.counts() == before
