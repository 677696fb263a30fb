"""Restoring a stale backup: the node learns that peers hold more of its own feed, refuses to
write until ``spazi feed recover`` pulls the missing entries back, and shows its admin the fork
proofs peers hold against it (protocol.md §Feeds, "Writing"; deploy/README.md, Backups).

The restore is tested on SQLite only: the in-process network (``tests/network.py``) runs its
nodes on SQLite files, and a restore there is a file copy, as an operator would do it.
"""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import func, select

from node import create_app
from node.cli.main import main
from node.feedstore import head
from node.models import FeedEntry, ForkProof, Origin
from node.runtime import Node
from node.services.admin_auth import create_user
from tests.network import FlaskAdapter, Network, network
from tests.support import FakeClock, SpaceNode

EVENT = {"start": "2026-12-05T10:00", "end": "2026-12-05T16:00"}
EMAIL, PASSWORD = "admin@a.test", "correct horse battery staple"


def _add_event(net: Network, name: str, title: str) -> int:
    """Post an event on ``name``'s API; returns the HTTP status."""
    response = net[name].client.post(
        "/api/v1/events", json={"title": title, **EVENT}, headers=net[name].auth()
    )
    return response.status_code


def _db_file(space: SpaceNode) -> Path:
    return space.data_dir / "spazi.db"


def _backup(space: SpaceNode, target: Path) -> None:
    """A consistent copy of the running node's database, as `sqlite3 .backup` makes it."""
    with sqlite3.connect(_db_file(space)) as source, sqlite3.connect(target) as copy:
        source.backup(copy)


def _restore(net: Network, name: str, backup: Path, clock: FakeClock) -> SpaceNode:
    """Stop node ``name``, put the backup in place of its database and start it again."""
    old = net[name]
    old.close()
    for suffix in ("", "-wal", "-shm"):
        Path(str(_db_file(old)) + suffix).unlink(missing_ok=True)
    with sqlite3.connect(backup) as source, sqlite3.connect(_db_file(old)) as copy:
        source.backup(copy)
    app = create_app({"data_dir": str(old.data_dir), "clock": clock, "TESTING": True})
    node: Node = app.extensions["spazi"]
    # The backup holds the admin token made when the node was created: it still works.
    restored = SpaceNode(app, node, app.test_client(), old.data_dir, old.token, old.url)
    net.nodes[name] = restored
    net.adapters[old.url] = FlaskAdapter(app)
    for other in net.nodes.values():
        other.node.local_routes = net.adapters
    return restored


def _head_seq(space: SpaceNode, origin: str) -> int:
    with space.node.db.read() as session:
        return head(session, origin).seq


def _forks(space: SpaceNode) -> int:
    with space.node.db.read() as session:
        return session.scalar(select(func.count()).select_from(ForkProof))


def _stale_a(tmp_path: Path, net: Network, clock: FakeClock) -> SpaceNode:
    """A and B peered; A publishes, is backed up, publishes twice more, B syncs; A restored."""
    net.add("a")
    net.add("b")
    net.peer("a", "b")
    assert _add_event(net, "a", "Before the backup") == 201
    net.settle()
    backup = tmp_path / "a-backup.db"
    _backup(net["a"], backup)
    assert _add_event(net, "a", "After the backup") == 201
    assert _add_event(net, "a", "After the backup, again") == 201
    net.settle()
    assert _head_seq(net["b"], net["a"].id) == _head_seq(net["a"], net["a"].id)
    return _restore(net, "a", backup, clock)


def test_a_restored_node_refuses_to_write_until_it_recovers_its_feed_from_peers(
    tmp_path: Path, clock: FakeClock, capsys: pytest.CaptureFixture[str]
) -> None:
    with network(tmp_path, clock) as net:
        a = _stale_a(tmp_path, net, clock)
        held = _head_seq(net["b"], a.id)
        assert _head_seq(a, a.id) < held

        # The next sync round asks B for its heads: B lists A's own feed ahead of A.
        net.sync_round(force=True)
        before = a.counts()
        refused = a.client.post(
            "/api/v1/events", json={"title": "Too early", **EVENT}, headers=a.auth()
        )
        assert refused.status_code == 409, refused.get_json()
        assert refused.mimetype == "application/problem+json"
        problem = refused.get_json()
        assert problem["type"] == "urn:spazi:problem:feed-behind-peers"
        assert "spazi feed recover" in problem["detail"]
        assert a.counts() == before  # nothing stored

        # The CLI refuses in one line, too (its own check cannot reach b.test: the stored
        # verdict is what refuses).
        code = main(
            [
                "--data-dir",
                str(a.data_dir),
                "event",
                "add",
                "--title",
                "CLI",
                "--start",
                "2026-12-06T10:00",
                "--end",
                "2026-12-06T12:00",
            ]
        )
        _, err = capsys.readouterr()
        assert code == 1
        assert err.count("\n") == 1 and "spazi feed recover" in err, err
        assert a.counts() == before

        from node.network.recovery import recover

        report = recover(a.node)
        assert report.stored == held - before["head"][0]
        assert _head_seq(a, a.id) == held
        assert _add_event(net, "a", "After the recovery") == 201
        assert _head_seq(a, a.id) == held + 1
        net.settle()
        assert _head_seq(net["b"], a.id) == held + 1
        assert _forks(net["b"]) == 0
        with net["b"].node.db.read() as session:
            assert session.get(Origin, a.id).status == "active"


def _admin_login(space: SpaceNode) -> None:
    with space.node.db.write() as session:
        create_user(session, EMAIL, PASSWORD)
    page = space.client.get("/admin/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)
    data = {"email": EMAIL, "password": PASSWORD}
    if token:
        data["csrf_token"] = token.group(1)
    assert space.client.post("/admin/login", data=data).status_code in (302, 303)


def test_a_fork_proof_against_the_node_is_shown_to_its_admin(
    tmp_path: Path, clock: FakeClock, capsys: pytest.CaptureFixture[str]
) -> None:
    with network(tmp_path, clock) as net:
        a = _stale_a(tmp_path, net, clock)
        # A writes before anything told it of B's heads: it signs a seq B already holds.
        assert _add_event(net, "a", "Equivocation") == 201
        net.sync_round(force=True)  # B finds the fork and quarantines A
        with net["b"].node.db.read() as session:
            assert session.get(Origin, a.id).status == "quarantined"
        net.sync_round(force=True)  # A reads B's fork proofs
        with a.node.db.read() as session:
            forked_seq = session.scalar(select(ForkProof.seq).where(ForkProof.origin == a.id))
        assert forked_seq is not None

        _admin_login(a)
        dashboard = a.client.get("/admin").get_data(as_text=True)
        assert "signed two different entries" in dashboard
        assert f"seq {forked_seq}" in dashboard

        assert main(["--data-dir", str(a.data_dir), "peer", "list"]) == 0
        out, _ = capsys.readouterr()
        assert "signed two different entries" in out and f"seq {forked_seq}" in out

        code = main(["--data-dir", str(a.data_dir), "feed", "verify"])
        _, err = capsys.readouterr()
        assert code == 1
        assert "signed two different entries" in err.splitlines()[-1]

        # Our own origin is not quarantined at home: we never sync it, and entries stay ours.
        with a.node.db.read() as session:
            assert session.get(Origin, a.id).status == "active"
            assert session.scalar(
                select(func.count()).select_from(FeedEntry).where(FeedEntry.origin == a.id)
            ) == _head_seq(a, a.id)


def test_feed_recover_on_the_command_line_says_in_one_line_what_is_still_missing(
    tmp_path: Path, clock: FakeClock, capsys: pytest.CaptureFixture[str]
) -> None:
    with network(tmp_path, clock) as net:
        a = _stale_a(tmp_path, net, clock)
        net.sync_round(force=True)
        before = a.counts()
        capsys.readouterr()
        # A separate process cannot reach b.test (only this test's routes do): nothing comes
        # back, and the command says what is missing and what to do.
        code = main(["--data-dir", str(a.data_dir), "feed", "recover"])
        _, err = capsys.readouterr()
        assert code == 1
        last = err.splitlines()[-1]
        assert last.startswith("spazi: error: ") and "still" in last, err
        assert "Traceback" not in err
        assert a.counts() == before


def test_feed_recover_with_nothing_missing_says_so(
    tmp_path: Path, clock: FakeClock, capsys: pytest.CaptureFixture[str]
) -> None:
    with network(tmp_path, clock) as net:
        a = net.add("a")
        capsys.readouterr()
        assert main(["--data-dir", str(a.data_dir), "feed", "recover"]) == 0
        out, _ = capsys.readouterr()
        assert "nothing to recover" in out


def test_the_start_up_check_finds_peers_ahead_and_writes_wait_for_it(
    tmp_path: Path, clock: FakeClock
) -> None:
    import threading

    from node.network.recovery import start_check

    with network(tmp_path, clock) as net:
        a = _stale_a(tmp_path, net, clock)
        # While this process's own check runs, publishing waits for it: 503, nothing stored.
        a.node.own_check_pending = threading.Event()
        before = a.counts()
        waiting = a.client.post(
            "/api/v1/events", json={"title": "Early", **EVENT}, headers=a.auth()
        )
        assert waiting.status_code == 503
        assert waiting.get_json()["type"] == "urn:spazi:problem:feed-check-pending"
        assert a.counts() == before

        thread = start_check(a.node)
        assert thread is not None
        thread.join()
        refused = a.client.post("/api/v1/events", json={"title": "Late", **EVENT}, headers=a.auth())
        assert refused.status_code == 409
        # Only the verdict was stored (the row every process reads), nothing of the event.
        assert a.counts() == {**before, "own_feed_checks": 1}


def test_a_node_whose_peers_are_unreachable_still_writes(tmp_path: Path, clock: FakeClock) -> None:
    from node.network.recovery import check_peers

    with network(tmp_path, clock) as net:
        net.add("a")
        net.add("b")
        net.peer("a", "b")
        net.settle()
        net.adapters[net["b"].url].down = True
        report = check_peers(net["a"].node)
        assert report.failed and not report.ahead
        assert _add_event(net, "a", "Still open") == 201


def test_a_restored_node_that_was_never_served_refuses_a_cli_write(
    tmp_path: Path,
    clock: FakeClock,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Restore, then publish from the command line at once: no sync round and no server ran,
    so no verdict is stored yet. The command asks the peers itself before it signs."""
    from tests.cli_network import in_network, run_cli

    with network(tmp_path, clock) as net:
        a = _stale_a(tmp_path, net, clock)
        before = a.counts()
        in_network(net, monkeypatch)
        code, _, err = run_cli(
            capsys,
            net,
            "a",
            "event",
            "add",
            "--title",
            "Straight after the restore",
            "--start",
            "2026-12-06T10:00",
            "--end",
            "2026-12-06T12:00",
        )
        assert code == 1
        assert err.count("\n") == 1 and "spazi feed recover" in err, err
        after = a.counts()
        assert after.pop("own_feed_checks") == 1  # the verdict, for every later writer
        assert after == {k: v for k, v in before.items() if k != "own_feed_checks"}
        assert _forks(net["b"]) == 0


def test_a_node_behind_its_peers_still_peers_and_blocks_and_announces_once_it_has_recovered(
    tmp_path: Path, clock: FakeClock
) -> None:
    from node.network.blocking import block
    from node.network.recovery import recover
    from node.published import announced_peers

    def announced(space: SpaceNode) -> set[str]:
        with space.node.db.read() as session:
            return {p["id"] for p in announced_peers(session, space.id)}

    with network(tmp_path, clock) as net:
        a = _stale_a(tmp_path, net, clock)
        net.sync_round(force=True)  # B proves it holds more of A's feed
        held = _head_seq(a, a.id)
        # Peering and blocking must not wait for the feed: both hold at once, nothing is
        # signed (a peer.announce now would re-sign a seq B holds).
        net.add("c")
        net.peer("c", "a")
        net.add("d")
        net.peer("d", "a")
        with a.node.db.write() as session:
            block(session, a.node, net["d"].id, "spam")
        assert _head_seq(a, a.id) == held
        assert announced(a) == {a.id, net["b"].id}

        report = recover(a.node)  # back to B's head, then the waiting announcement goes out
        assert report.still_behind is None
        assert announced(a) == {a.id, net["b"].id, net["c"].id}
        assert _head_seq(a, a.id) == _head_seq(net["b"], a.id) + 1
        net.settle()
        assert _forks(net["b"]) == 0
