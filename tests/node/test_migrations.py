"""Migrations build exactly the models' schema and go down and up again, on both databases."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from node.db import Base, Database
from node.migrate import current_revision, head_revision, upgrade
from tests.support import PostgresSchema, postgres_url


@pytest.fixture(params=["sqlite", "postgres"])
def empty_db(request: pytest.FixtureRequest, tmp_path: Path):
    if request.param == "sqlite":
        db = Database(f"sqlite:///{tmp_path / 'm.db'}")
        yield db
        db.dispose()
        return
    base = postgres_url()
    if base is None:
        pytest.skip("SPAZI_TEST_POSTGRES_URL is not set: PostgreSQL variant skipped")
    schema = PostgresSchema(base)
    db = Database(schema.url)
    try:
        yield db
    finally:
        db.dispose()
        schema.drop()


def test_migrations_build_the_models_schema(empty_db: Database) -> None:
    assert current_revision(empty_db.engine) is None
    upgrade(empty_db.engine)
    assert current_revision(empty_db.engine) == head_revision()
    with empty_db.engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert diff == []


def test_downgrade_and_upgrade_again(empty_db: Database) -> None:
    from alembic import command

    from node.migrate import alembic_config

    upgrade(empty_db.engine)
    config = alembic_config()
    with empty_db.engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0001")
    assert "peers" not in inspect(empty_db.engine).get_table_names()
    assert current_revision(empty_db.engine) == "0001"
    upgrade(empty_db.engine)
    assert "peers" in inspect(empty_db.engine).get_table_names()


def test_head_revision_is_the_newest_script() -> None:
    from node.migrate import HEAD_REVISION, script_head

    newest = script_head()
    assert newest == HEAD_REVISION, f"set node.migrate.HEAD_REVISION to {newest!r}"


def test_commands_check_the_revision_without_importing_alembic() -> None:
    import subprocess
    import sys

    code = (
        "import sys, node.cli.main, node.app, node.runtime\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'alembic'))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_visit_months_are_filled_from_the_visits_already_counted(empty_db: Database) -> None:
    """0006 adds the per-month figure the desk now keeps; an upgraded node starts with the
    days it had already counted."""
    from sqlalchemy import text

    upgrade(empty_db.engine, "0005_twinning")
    rows = [("agr-a", "2026-11-03"), ("agr-a", "2026-11-04"), ("agr-a", "2026-12-01"),
            ("agr-b", "2026-11-03")]  # fmt: skip
    with empty_db.engine.begin() as connection:
        for number, (agreement, day) in enumerate(rows):
            connection.execute(
                text(
                    "INSERT INTO visits (agreement_id, home_id, member, name, jti, day, at) "
                    "VALUES (:a, 'did:key:zHome', :m, 'Guest', :j, :d, CURRENT_TIMESTAMP)"
                ),
                {"a": agreement, "m": f"m{number}", "j": f"j{number}", "d": day},
            )
    upgrade(empty_db.engine)
    with empty_db.engine.connect() as connection:
        months = set(connection.execute(text("SELECT agreement_id, month, days FROM visit_months")))
    assert months == {("agr-a", "2026-11", 2), ("agr-a", "2026-12", 1), ("agr-b", "2026-11", 1)}


def test_events_stored_before_0011_get_their_co_hosts(empty_db: Database) -> None:
    """0011 adds ``events.cohosts`` for the joint-event queries; events already stored get it
    from their bodies, so an upgraded node finds the requests it already holds."""
    import json

    from sqlalchemy import text

    upgrade(empty_db.engine, "0010_admin_invites")
    b, c = "did:key:z6MkB", "did:key:z6MkC"
    bodies = {"named": {"id": "named", "title": "Joint", "cohosts": [b, c]},
              "alone": {"id": "alone", "title": "Alone"},
              "described": {"id": "described", "title": "\"cohosts\" in words"}}  # fmt: skip
    with empty_db.engine.begin() as connection:
        connection.execute(
            text("INSERT INTO origins (id, is_self, head_seq, status, first_seen, updated) "
                 "VALUES ('did:key:zA', false, 3, 'active', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)")
        )  # fmt: skip
        for seq, (event_id, body) in enumerate(bodies.items(), start=1):
            connection.execute(
                text(
                    "INSERT INTO events (origin, id, title, start_utc, end_utc, tags, body, "
                    "cancelled, seq, ts) VALUES ('did:key:zA', :id, 'T', CURRENT_TIMESTAMP, "
                    "CURRENT_TIMESTAMP, '', :body, false, :seq, 0)"
                ),
                {"id": event_id, "body": json.dumps(body), "seq": seq},
            )
    upgrade(empty_db.engine)
    with empty_db.engine.connect() as connection:
        stored = dict(connection.execute(text("SELECT id, cohosts FROM events")).all())
    assert stored == {"named": f",{b},{c},", "alone": "", "described": ""}
