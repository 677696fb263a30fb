"""A page the node fails to store (the database refuses it) stops only its origin: the error is
recorded against that origin in the peer's last error, and the peer's other origins still sync
in the same round (ARCHITECTURE.md §A synced page arrives)."""

from __future__ import annotations

from pathlib import Path

from node.cli import main
from node.models import Peer
from node.network.syncing import sync_due
from tests.network import network
from tests.support import FakeClock, SpaceNode

EVENT = {"title": "Open day", "start": "2026-12-05T10:00", "end": "2026-12-05T16:00"}


def _refuse_inserts_of(space: SpaceNode, origin: str) -> None:
    """Make the node's own database refuse every feed entry of ``origin``: a real failure of
    the real store, as PostgreSQL gave for a NUL character before entries were *text*."""
    engine = space.node.db.engine
    with engine.begin() as conn:
        if engine.dialect.name == "sqlite":
            conn.exec_driver_sql(
                "CREATE TRIGGER refuse_origin BEFORE INSERT ON feed_entries "
                f"WHEN NEW.origin = '{origin}' "
                "BEGIN SELECT RAISE(ABORT, 'text fields cannot contain NUL'); END"
            )
        else:
            conn.exec_driver_sql(
                "CREATE FUNCTION refuse_origin() RETURNS trigger AS $$ BEGIN "
                f"IF NEW.origin = '{origin}' THEN "
                "RAISE EXCEPTION 'text fields cannot contain NUL'; END IF; "
                "RETURN NEW; END $$ LANGUAGE plpgsql"
            )
            conn.exec_driver_sql(
                "CREATE TRIGGER refuse_origin BEFORE INSERT ON feed_entries "
                "FOR EACH ROW EXECUTE FUNCTION refuse_origin()"
            )


def test_an_origin_that_cannot_be_stored_does_not_stop_the_others(
    tmp_path: Path, clock: FakeClock, database_url: str | None, capsys
) -> None:
    with network(tmp_path, clock) as net:
        net.chain("bc")  # b mirrors c
        for name in "bc":
            response = net[name].client.post("/api/v1/events", json=EVENT, headers=net[name].auth())
            assert response.status_code == 201
        net.settle()
        a = net.add("a", database_url=database_url)
        net.peer("a", "b")
        net.deliver()
        # B serves two origins; the first of them in the round's order fails to store.
        failing, other = sorted([net["b"].id, net["c"].id])
        _refuse_inserts_of(a, failing)

        round_ = sync_due(a.node, force=True)

        report = round_.reports[net["b"].id]
        assert report.errors[failing].reason == "store-failed"
        assert "text fields cannot contain NUL" in report.errors[failing].detail
        assert report.stored.get(other, 0) >= 2  # its profile, event…: same round
        assert failing not in report.stored
        with a.node.db.read() as session:
            peer = session.get(Peer, net["b"].id)
            assert peer.failures == 0 and peer.last_success is not None
            assert peer.last_error == f"{failing}: store-failed"
        assert main(["--data-dir", str(a.data_dir), "peer", "list"]) == 0
        listing = capsys.readouterr().out
        assert "store-failed" in listing and "never" not in listing.lower()
