"""A busy or broken database and a data dir that is no directory: a 503 problem with Retry-After
after a short wait, one line on the CLI, one log line per failed job run, never a traceback."""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from node.cli import main
from node.jobs import run_exclusive
from tests.support import FakeClock, SpaceNode, make_node

EVENT = {"title": "Open day", "start": "2026-12-05T10:00", "end": "2026-12-05T16:00"}
BUSY_MS = 50  # the db_busy_timeout_ms of these nodes: waits that short keep the tests fast


@pytest.fixture
def busy_node(tmp_path: Path, clock: FakeClock) -> Iterator[SpaceNode]:
    space = make_node(tmp_path, clock=clock, settings={"db_busy_timeout_ms": BUSY_MS})
    try:
        yield space
    finally:
        space.close()


@contextmanager
def locked(space: SpaceNode) -> Iterator[None]:
    """Another process's connection holding the write lock of the node's SQLite file."""
    other = sqlite3.connect(space.data_dir / "spazi.db", isolation_level=None)
    other.execute("BEGIN EXCLUSIVE")
    try:
        yield
    finally:
        other.execute("ROLLBACK")
        other.close()


def test_a_locked_database_is_a_503_problem_with_retry_after(busy_node: SpaceNode) -> None:
    before = busy_node.counts()
    with locked(busy_node):
        response = busy_node.client.post("/api/v1/events", json=EVENT, headers=busy_node.auth())
    assert response.status_code == 503, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    problem = response.get_json()
    assert problem["type"] == "urn:spazi:problem:unavailable"
    assert "busy" in problem["detail"]
    assert int(response.headers["Retry-After"]) > 0
    assert busy_node.counts() == before
    # Once the lock is gone the same request works.
    assert (
        busy_node.client.post("/api/v1/events", json=EVENT, headers=busy_node.auth()).status_code
        == 201
    )


def test_a_locked_database_is_a_503_page_for_people(busy_node: SpaceNode) -> None:
    from node.services.admin_auth import create_user

    with busy_node.node.db.write() as session:
        create_user(session, "desk@thecube.example", "correct horse battery staple")
    busy_node.app.config["WTF_CSRF_ENABLED"] = False
    with locked(busy_node):
        response = busy_node.client.post(
            "/admin/login",
            data={"email": "desk@thecube.example", "password": "correct horse battery staple"},
        )
    assert response.status_code == 503
    assert response.mimetype == "text/html"
    assert "Retry-After" in response.headers
    assert "try again" in response.get_data(as_text=True)


def test_a_full_disk_is_a_503_problem(busy_node: SpaceNode) -> None:
    """SQLite's own "database or disk is full", made real by capping the file's page count."""
    from sqlalchemy import event

    engine = busy_node.node.db.engine
    engine.dispose()

    @event.listens_for(engine, "connect")
    def _cap(dbapi_conn, _record) -> None:  # type: ignore[no-untyped-def]
        pages = dbapi_conn.execute("PRAGMA page_count").fetchone()[0]
        dbapi_conn.execute(f"PRAGMA max_page_count={pages}")

    big = {**EVENT, "description": "x" * 5000}
    for _ in range(100):  # until the free pages the file already has are used up
        response = busy_node.client.post("/api/v1/events", json=big, headers=busy_node.auth())
        if response.status_code != 201:
            break
    assert response.status_code == 503, response.get_data(as_text=True)
    assert "full" in response.get_json()["detail"]
    assert "Retry-After" in response.headers


def test_a_failing_job_logs_one_line_per_run(
    busy_node: SpaceNode, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    ran = []
    with locked(busy_node):
        for _ in range(3):
            assert run_exclusive(busy_node.node, "sync", lambda: ran.append(1), _ttl()) is False
    records = [r for r in caplog.records if r.name == "spazi.jobs"]
    assert len(records) == 3, [r.getMessage() for r in records]
    assert all(r.exc_info is None and "\n" not in r.getMessage() for r in records)
    assert all("sync" in r.getMessage() and "busy" in r.getMessage() for r in records)
    assert ran == []


def _ttl():  # type: ignore[no-untyped-def]
    from datetime import timedelta

    return timedelta(minutes=1)


def one_line(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    code = main(list(argv))
    err = capsys.readouterr().err
    assert code != 0
    assert err.count("\n") == 1 and "Traceback" not in err, err
    return err


def test_cli_on_a_locked_database_is_one_line(
    busy_node: SpaceNode, capsys: pytest.CaptureFixture[str]
) -> None:
    data = str(busy_node.data_dir)
    with locked(busy_node):
        err = one_line(capsys, "--data-dir", data, "resource", "add", "--kind", "hot_desk",
                       "--name", "Desk", "--capacity", "3")  # fmt: skip
    assert "busy" in err and "try again" in err


def test_cli_on_a_data_dir_that_is_a_file_is_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    afile = tmp_path / "afile"
    afile.write_text("not a directory")
    assert "not a directory" in one_line(capsys, "--data-dir", str(afile), "event", "list")
    err = one_line(capsys, "init", str(afile), "--name", "A", "--url", "http://a.example")
    assert "not a directory" in err
    assert afile.read_text() == "not a directory"


def test_cli_on_a_corrupt_database_is_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    space = make_node(tmp_path)
    space.close()
    for name in ("spazi.db-wal", "spazi.db-shm"):
        (space.data_dir / name).unlink(missing_ok=True)
    (space.data_dir / "spazi.db").write_bytes(b"\x8a garbage, not SQLite \x00" * 200)
    err = one_line(capsys, "--data-dir", str(space.data_dir), "event", "list")
    assert "spazi.db" in err and "backup" in err


@pytest.mark.parametrize("price", ["nan", "inf", "-inf", "1e400"])
def test_cli_refuses_non_finite_prices_in_one_line(
    busy_node: SpaceNode, capsys: pytest.CaptureFixture[str], price: str
) -> None:
    before = busy_node.counts()
    one_line(capsys, "--data-dir", str(busy_node.data_dir), "event", "add", "--title", "Talk",
             "--start", "2026-12-10T18:00", "--end", "2026-12-10T19:00", f"--price={price}",
             "--currency", "EUR")  # fmt: skip
    assert busy_node.counts() == before
