"""Hosted spaces sharing one PostgreSQL database, each in its own schema (node/pgschema.py,
ARCHITECTURE.md §Hosting many spaces): created by ``spazi hub add --init … --postgres URL``,
kept apart, backed up one schema at a time and restored into that schema only."""

from __future__ import annotations

import secrets
import tarfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from node import pgschema
from node.cli.main import main
from node.hub import spaces
from node.published import query_events
from node.runtime import open_node
from node.services.events import add_event
from tests.support import postgres_url

EVENT = {"start": "2026-12-20T10:00", "end": "2026-12-20T12:00"}


class Hosts:
    """Hosts whose schemas no other test run uses (``space_t<hex>_hub_test``), remembered so
    that the test drops exactly the schemas it made: another run of these tests may be using
    the same database at the same time, and its schemas are not ours to drop."""

    def __init__(self) -> None:
        self.made: list[str] = []

    def new(self) -> str:
        """A fresh host name, remembered for the clean-up."""
        return self.named(f"t{secrets.token_hex(4)}.hub.test")

    def named(self, host: str) -> str:
        """Remember a host the test built itself."""
        self.made.append(host)
        return host


@pytest.fixture
def base_url() -> str:
    """The test database's URL."""
    url = postgres_url()
    if url is None:
        pytest.skip("SPAZI_TEST_POSTGRES_URL is not set: PostgreSQL variant skipped")
    return url


@pytest.fixture
def hosts(base_url: str) -> Iterator[Hosts]:
    """Hosts for the test; the schema of each is dropped after it, and nothing else."""
    made = Hosts()
    yield made
    for schema in sorted({pgschema.schema_for_host(host) for host in made.made}):
        pgschema.drop_schema(pgschema.in_schema(base_url, schema))


def _add(hub_dir: Path, name: str, host: str, url: str) -> int:
    return main(
        ["hub", "add", "--hub", str(hub_dir), "--init", name, "--url", f"https://{host}",
         "--postgres", url]
    )  # fmt: skip


def test_two_hosted_spaces_share_a_database_each_in_its_own_schema(
    tmp_path: Path, base_url: str, hosts: Hosts, capsys: pytest.CaptureFixture[str]
) -> None:
    hub_dir = tmp_path / "hub"
    assert main(["hub", "init", str(hub_dir)]) == 0
    made = [hosts.new(), hosts.new()]
    for name, host in zip(("Cube", "Loft"), made, strict=True):
        assert _add(hub_dir, name, host, base_url) == 0, capsys.readouterr().err
    hosted = {space.host: space for space in spaces.hosted_spaces(hub_dir)}
    nodes = [open_node(str(hosted[host].data_dir)) for host in made]
    try:
        with nodes[0].db.write() as session:
            add_event(session, nodes[0], {"title": "Only at the Cube", **EVENT})
        with nodes[1].db.read() as session:
            assert query_events(session) == []
        with nodes[0].db.read() as session:
            assert [e.body["title"] for e in query_events(session)] == ["Only at the Cube"]
        for node, host in zip(nodes, made, strict=True):
            url = str(node.db.engine.url.render_as_string(hide_password=False))
            assert pgschema.schema_of(url) == pgschema.schema_for_host(host)
            assert "feed_entries" in pgschema.tables_in(url)
    finally:
        for node in nodes:
            node.close()
    capsys.readouterr()
    assert main(["hub", "list", "--hub", str(hub_dir)]) == 0
    listed = capsys.readouterr().out
    assert "Cube" in listed and "Loft" in listed


def test_a_schema_that_holds_tables_is_refused_and_nothing_is_left(
    tmp_path: Path, base_url: str, hosts: Hosts, capsys: pytest.CaptureFixture[str]
) -> None:
    hub_dir = tmp_path / "hub"
    assert main(["hub", "init", str(hub_dir)]) == 0
    host = hosts.new()
    taken = pgschema.in_schema(base_url, pgschema.schema_for_host(host))
    pgschema.create_schema(taken)
    engine = create_engine(taken)
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE someone_elses (id int)"))
    engine.dispose()
    capsys.readouterr()
    assert _add(hub_dir, "Cube", host, base_url) != 0
    err = capsys.readouterr().err
    assert err.startswith("spazi: error: ") and "already holds tables" in err
    assert len(err.splitlines()) == 1
    assert spaces.read_entries(hub_dir) == []
    assert not (hub_dir / spaces.SPACES_DIR / host).exists()
    assert pgschema.tables_in(taken) == ["someone_elses"]


def test_a_backup_holds_its_own_schema_alone_and_restores_into_it(
    tmp_path: Path, base_url: str, hosts: Hosts, capsys: pytest.CaptureFixture[str]
) -> None:
    hub_dir = tmp_path / "hub"
    assert main(["hub", "init", str(hub_dir)]) == 0
    made = [hosts.new(), hosts.new()]
    for name, host in zip(("Cube", "Loft"), made, strict=True):
        assert _add(hub_dir, name, host, base_url) == 0, capsys.readouterr().err
    cube = {s.host: s for s in spaces.hosted_spaces(hub_dir)}[made[0]].data_dir
    node = open_node(str(cube))
    with node.db.write() as session:
        add_event(session, node, {"title": "Backed up", **EVENT})
    url = str(node.db.engine.url.render_as_string(hide_password=False))
    node.close()
    archive = tmp_path / "cube.tar.gz"
    assert main(["--data-dir", str(cube), "backup", str(archive)]) == 0
    loft_schema = pgschema.schema_for_host(made[1])
    with tarfile.open(archive) as tar:
        member = tar.extractfile("database.pgdump")
        assert member is not None
        dump = member.read()
    assert pgschema.schema_for_host(made[0]).encode() in dump
    assert loft_schema.encode() not in dump

    elsewhere = pgschema.in_schema(base_url, loft_schema)
    capsys.readouterr()
    code = main(
        ["--data-dir", str(tmp_path / "other"), "restore", str(archive), "--database-url",
         elsewhere]
    )  # fmt: skip
    assert code != 0
    said = capsys.readouterr().err
    assert "the backup holds schema " + pgschema.schema_for_host(made[0]) in said

    pgschema.drop_schema(url)  # the Cube's server is lost; an empty schema is made again
    pgschema.create_schema(url)
    restored = tmp_path / "restored"
    assert main(["--data-dir", str(restored), "restore", str(archive)]) == 0, (
        capsys.readouterr().err
    )
    assert main(["--data-dir", str(restored), "feed", "verify"]) == 0
    node = open_node(str(restored))
    try:
        with node.db.read() as session:
            assert [e.body["title"] for e in query_events(session)] == ["Backed up"]
    finally:
        node.close()


def test_two_hosts_that_fold_to_one_schema_are_refused(
    tmp_path: Path, base_url: str, hosts: Hosts, capsys: pytest.CaptureFixture[str]
) -> None:
    hub_dir = tmp_path / "hub"
    assert main(["hub", "init", str(hub_dir)]) == 0
    stem = hosts.new().split(".")[0]
    first = hosts.named(f"{stem}-a.hub.test")
    second = hosts.named(f"{stem}.a.hub.test")
    assert pgschema.schema_for_host(first) == pgschema.schema_for_host(second)
    assert _add(hub_dir, "Cube", first, base_url) == 0, capsys.readouterr().err
    url = pgschema.in_schema(base_url, pgschema.schema_for_host(first))
    tables = sorted(pgschema.tables_in(url))
    capsys.readouterr()
    assert _add(hub_dir, "Loft", second, base_url) != 0
    err = capsys.readouterr().err
    assert f"is already {first}'s" in err and len(err.splitlines()) == 1
    assert sorted(pgschema.tables_in(url)) == tables  # the first space's tables untouched
    assert [s.host for s in spaces.hosted_spaces(hub_dir)] == [first]
