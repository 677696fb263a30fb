"""``spazi db copy --to URL``: a twinned node's database moved to PostgreSQL (or another SQLite
file), every table's rows equal on the target, the feed verifying there, the data dir switched
to it and the node working on it; and each refusal one line that leaves both databases as
they were."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import create_engine, inspect, select

from node import dbcopy
from node.cli.main import main
from node.dbcopy import copy_database, tables
from node.errors import Conflict
from node.runtime import open_node
from node.services.events import add_event
from node.settings import load_settings
from node.twinning import desk, passes
from tests.network import Network, network
from tests.node.twin_support import add_member, twin
from tests.support import POSTGRES_ENV, FakeClock, PostgresSchema, postgres_url

EVENT = {"start": "2026-12-20T10:00", "end": "2026-12-20T12:00"}


@pytest.fixture
def net(tmp_path: Path, clock: FakeClock) -> Iterator[Network]:
    """a and b twinned; a's member checked in at b, so b holds visits, agreements, peers and
    mirrored feeds besides its own."""
    with network(tmp_path, clock) as net:
        net.add("a", title="WeCreate NYC", timezone="America/New_York")
        net.add("b", title="The Cube")
        net.peer("a", "b")
        net.settle()
        twin(net, "a", "b")
        member = add_member(net, "a")
        with net["a"].node.db.write() as session:
            token = passes.issue_pass(session, net["a"].node, member, net["b"].id).token
        net.settle()
        with net["b"].node.db.write() as session:
            assert desk.check_in(session, net["b"].node, token).admitted
        net.token = token  # type: ignore[attr-defined]
        yield net


@pytest.fixture(params=["sqlite", "postgres"])
def target(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database to copy into."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'copy.db'}"
        return
    base = postgres_url()
    if base is None:
        pytest.skip(f"{POSTGRES_ENV} is not set: PostgreSQL variant skipped")
    schema = PostgresSchema(base)
    try:
        # A server whose sessions are not in UTC: the copied times must not shift.
        yield schema.url + "%20-ctimezone%3DEurope%2FRome"
    finally:
        schema.drop()


def _same(value: object) -> object:
    """A value as comparable across databases: SQLite hands back naive UTC datetimes where
    PostgreSQL hands back aware ones (the node reads both through node.clock.aware)."""
    if isinstance(value, datetime):
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    return value


def _rows(url: str) -> dict[str, list[tuple[object, ...]]]:
    """Every row of every node table, read through the node's own column types."""
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            present = set(inspect(conn).get_table_names())
            return {
                table.name: [
                    tuple(_same(value) for value in row)
                    for row in conn.execute(
                        select(table).order_by(*(table.primary_key.columns or table.columns))
                    )
                ]
                for table in tables()
                if table.name in present
            }
    finally:
        engine.dispose()


def test_a_twinned_node_moves_to_the_target_and_works_there(
    net: Network, target: str, capsys: pytest.CaptureFixture[str]
) -> None:
    b = net["b"]
    source_url = str(b.node.settings["database_url"])
    before = _rows(source_url)
    assert before["visits"] and before["agreements"] and before["peers"]

    assert main(["--data-dir", str(b.data_dir), "db", "copy", "--to", target]) == 0
    out, err = capsys.readouterr()
    assert "copying feed_entries" in err and "ok, " in err and "entries verify" in err
    assert "now says database_url" in out

    assert _rows(target) == before  # every table, every row, every value
    assert _rows(source_url) == before  # the source untouched
    assert load_settings(str(b.data_dir))["database_url"] == target

    moved = open_node(str(b.data_dir), clock=net.clock)
    try:
        assert str(moved.db.engine.url) == str(create_engine(target).url)
        # Serial keys continue after the copied ids, and the counts go on from the copied days.
        with moved.db.write() as session:
            add_event(session, moved, {"title": "After the move", **EVENT})
        with moved.db.write() as session:
            again = desk.check_in(session, moved, net.token)  # type: ignore[attr-defined]
        assert again.admitted and again.already_today and again.member_days_used == 1
    finally:
        moved.close()
    assert main(["--data-dir", str(b.data_dir), "feed", "verify"]) == 0
    assert "ok, " in capsys.readouterr().err


def test_refusals_are_one_line_and_change_nothing(
    net: Network, target: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    b = net["b"]
    source_url = str(b.node.settings["database_url"])
    before = _rows(source_url)
    toml = (b.data_dir / "spazi.toml").read_text()

    def refused(*argv: str) -> str:
        assert main(["--data-dir", str(b.data_dir), "db", "copy", *argv]) != 0
        out, err = capsys.readouterr()
        assert out == "" and err.count("\n") == 1 and "Traceback" not in err
        return err

    assert "not a database URL" in refused("--to", "not a url")
    assert "not supported" in refused("--to", "mysql://root@127.0.0.1/spazi")
    assert "already uses" in refused("--to", source_url)
    unreachable = "postgresql+psycopg://postgres@127.0.0.1:1/test?connect_timeout=2"
    assert "cannot open the target database" in refused("--to", unreachable)

    # A target that already holds a node's rows (here: a first copy) is refused.
    assert main(["--data-dir", str(b.data_dir), "db", "copy", "--to", target, "--no-switch"]) == 0
    capsys.readouterr()
    assert "already holds rows" in refused("--to", target)

    assert _rows(source_url) == before
    assert (b.data_dir / "spazi.toml").read_text() == toml  # --no-switch, and the refusals


def test_a_write_during_the_copy_is_refused_and_the_target_left_empty(
    net: Network, target: str
) -> None:
    b = net["b"]
    wrote: list[bool] = []

    def write_once(step: dbcopy.CopyStep) -> None:
        if not wrote:  # the node (still running) publishes while its tables are read
            with b.node.db.write() as session:
                add_event(session, b.node, {"title": "Written meanwhile", **EVENT})
            wrote.append(True)

    with pytest.raises(Conflict, match="wrote to its database during the copy"):
        copy_database(b.node.db, target, write_once)
    assert wrote
    assert all(rows == [] for rows in _rows(target).values())
    # Stopped, a second run copies everything, the event written meanwhile included.
    report = copy_database(b.node.db, target)
    copied = _rows(target)
    assert report.rows["events"] == len(copied["events"])
    assert copied == _rows(str(b.node.settings["database_url"]))


def test_an_outdated_source_is_refused(net: Network, target: str) -> None:
    b = net["b"]
    engine = b.node.db.engine
    with engine.begin() as conn:
        conn.exec_driver_sql("UPDATE alembic_version SET version_num = 'outdated'")
    with pytest.raises(Conflict, match="spazi db upgrade"):
        copy_database(b.node.db, target)
    engine = create_engine(target)
    try:
        with engine.connect() as conn:
            assert inspect(conn).get_table_names() == []  # not even the schema was made
    finally:
        engine.dispose()
