"""``spazi backup`` and ``spazi restore``: one archive taken while the node writes, restored into
a fresh data dir whose feed verifies; another node's data dir refused; a PostgreSQL node through
pg_dump and pg_restore; and the restored node recovering from a peer what it published after
the backup, without re-signing a seq the peer holds."""

from __future__ import annotations

import secrets
import stat
import tarfile
import threading
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, select

from node.cli.main import main
from node.models import FeedEntry
from node.runtime import open_node
from node.services.events import add_event
from tests.cli_network import in_network, run_cli
from tests.network import network
from tests.support import FakeClock, make_node, postgres_url

EVENT = {"start": "2026-12-20T10:00", "end": "2026-12-20T12:00"}


def _entries(data_dir: Path) -> int:
    node = open_node(str(data_dir))
    try:
        with node.db.read() as session:
            return int(session.scalar(select(func.count()).select_from(FeedEntry)) or 0)
    finally:
        node.close()


def test_a_backup_taken_while_writing_restores_into_a_verifying_node(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    space = make_node(tmp_path / "source")
    stop, busy = threading.Event(), threading.Event()

    def writer() -> None:
        number = 0
        while not stop.is_set():
            with space.node.db.write() as session:
                add_event(session, space.node, {"title": f"Talk {number}", **EVENT})
            number += 1
            if number == 5:
                busy.set()  # the backup starts while the writer keeps going

    thread = threading.Thread(target=writer)
    thread.start()
    assert busy.wait(30)
    archive = tmp_path / "cube.tar.gz"
    try:
        assert main(["--data-dir", str(space.data_dir), "backup", str(archive)]) == 0
    finally:
        stop.set()
        thread.join()
    out = capsys.readouterr().out
    assert space.node.node_id in out and "private key" in out
    assert stat.S_IMODE(archive.stat().st_mode) == 0o600
    with tarfile.open(archive) as tar:
        names = set(tar.getnames())
    assert {"manifest.json", "spazi.toml", "database.sqlite"} <= names
    space.close()

    restored = tmp_path / "restored"
    assert main(["--data-dir", str(restored), "restore", str(archive)]) == 0
    assert "feed recover" in capsys.readouterr().out
    assert main(["--data-dir", str(restored), "feed", "verify"]) == 0
    assert "entries verify" in capsys.readouterr().err
    node = open_node(str(restored))
    try:
        assert node.node_id == space.node.node_id
    finally:
        node.close()
    assert _entries(restored) >= 6


def test_restoring_over_another_node_is_refused_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    first, other = make_node(tmp_path / "a"), make_node(tmp_path / "b")
    archive = tmp_path / "a.tar.gz"
    assert main(["--data-dir", str(first.data_dir), "backup", str(archive)]) == 0
    before = _entries(other.data_dir)
    capsys.readouterr()
    code = main(["--data-dir", str(other.data_dir), "restore", str(archive)])
    err = capsys.readouterr().err
    assert code == 1 and "holds another node" in err and "--force" in err
    assert len(err.strip().splitlines()) == 1
    assert _entries(other.data_dir) == before
    assert main(["--data-dir", str(other.data_dir), "backup", str(archive)]) == 1  # no overwrite
    not_a_backup = tmp_path / "x.tar.gz"
    not_a_backup.write_bytes(b"hello")
    assert main(["--data-dir", str(tmp_path / "c"), "restore", str(not_a_backup)]) == 1
    assert "not a Spazi backup" in capsys.readouterr().err
    first.close()
    other.close()


def test_a_node_restores_its_own_backup_into_its_own_folder_after_a_key_rotation(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    space = make_node(tmp_path / "cube")
    node_id = space.node.node_id
    archive = tmp_path / "cube.tar.gz"
    assert main(["--data-dir", str(space.data_dir), "backup", str(archive)]) == 0
    space.close()
    assert main(["--data-dir", str(space.data_dir), "key", "rotate"]) == 0
    capsys.readouterr()
    code = main(["--data-dir", str(space.data_dir), "restore", str(archive)])
    assert code == 0, capsys.readouterr().err
    node = open_node(str(space.data_dir))
    try:
        assert node.node_id == node_id
    finally:
        node.close()


def test_a_folder_with_a_key_and_no_database_is_judged_by_its_key_and_left_alone(
    tmp_path: Path,
) -> None:
    # Looking for the node already there must not create a database file (nor keep one open).
    from federation.keys import NodeKey
    from node.backup.archive import _holder

    folder = tmp_path / "bare"
    folder.mkdir()
    key = NodeKey.generate()
    key.save(folder / "node.key")
    assert _holder(folder) == key.did
    assert sorted(p.name for p in folder.iterdir()) == ["node.key"]


def test_a_postgresql_node_backs_up_and_restores_through_pg_dump(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    base = postgres_url()
    if base is None:
        pytest.skip("SPAZI_TEST_POSTGRES_URL is not set: PostgreSQL variant skipped")
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    names = [f"spazi_bk_{secrets.token_hex(4)}" for _ in range(2)]
    with admin.connect() as connection:
        for name in names:
            connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    url = base.rsplit("/", 1)[0]
    try:
        space = make_node(tmp_path / "pg", database_url=f"{url}/{names[0]}")
        with space.node.db.write() as session:
            add_event(session, space.node, {"title": "Before the backup", **EVENT})
        archive = tmp_path / "pg.tar.gz"
        assert main(["--data-dir", str(space.data_dir), "backup", str(archive)]) == 0
        space.close()
        restored = tmp_path / "pg-restored"
        code = main(
            [
                "--data-dir",
                str(restored),
                "restore",
                str(archive),
                "--database-url",
                f"{url}/{names[1]}",
            ]
        )
        assert code == 0, capsys.readouterr().err
        # The restored settings name the database it was restored into, not the old one.
        toml = (restored / "spazi.toml").read_text()
        assert names[1] in toml and names[0] not in toml
        assert main(["--data-dir", str(restored), "feed", "verify"]) == 0
        assert _entries(restored) == _entries(space.data_dir)
    finally:
        with admin.connect() as connection:
            for name in names:
                connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


def test_the_restored_node_recovers_what_it_published_after_the_backup(
    tmp_path: Path,
    clock: FakeClock,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with network(tmp_path, clock) as net:
        net.add("a")
        net.add("b")
        net.peer("a", "b")
        net.settle()
        in_network(net, monkeypatch)
        archive = tmp_path / "a.tar.gz"
        code, _, err = run_cli(capsys, net, "a", "backup", str(archive))
        assert code == 0, err
        for title in ("After one", "After two"):
            assert (
                net["a"]
                .client.post(
                    "/api/v1/events", json={"title": title, **EVENT}, headers=net["a"].auth()
                )
                .status_code
                == 201
            )
        net.settle()
        newest = _entries(net["a"].data_dir)
        net["a"].close()
        code, _, err = run_cli(capsys, net, "a", "restore", str(archive), "--force")
        assert code == 0, err
        assert _entries(net["a"].data_dir) < newest
        code, out, err = run_cli(capsys, net, "a", "feed", "recover")
        assert code == 0, err
        assert "recovered 2 entries" in out + err
        assert _entries(net["a"].data_dir) == newest
