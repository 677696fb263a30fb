"""Sync across in-process networks: convergence, gossip, push hints, backoff, blocking, rotation."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest
from sqlalchemy import func, select

from federation.keys import NodeKey
from node.models import Event, FeedEntry, Origin, Peer
from node.network import blocking
from node.network.syncing import sync_due
from node.services.publishing import publish
from tests.network import network
from tests.support import FakeClock

EVENT = {"title": "Open day", "start": "2026-12-05T10:00", "end": "2026-12-05T16:00"}


def _add_event(net, name: str, **extra) -> str:
    response = net[name].client.post(
        "/api/v1/events", json={**EVENT, **extra}, headers=net[name].auth()
    )
    assert response.status_code == 201, response.get_json()
    return response.get_json()["id"]


def _holds(net, name: str, origin: str, event_id: str) -> bool:
    with net[name].node.db.read() as session:
        return session.get(Event, (origin, event_id)) is not None


def _entry_count(net, name: str, origin: str) -> int:
    with net[name].node.db.read() as session:
        return session.scalar(
            select(func.count()).select_from(FeedEntry).where(FeedEntry.origin == origin)
        )


@pytest.mark.parametrize("shape", ["chain", "ring"])
def test_chains_and_rings_of_six_converge(tmp_path: Path, clock: FakeClock, shape: str) -> None:
    names = ["a", "b", "c", "d", "e", "f"]
    with network(tmp_path, clock) as net:
        for name in names:
            net.add(name)
        links = list(itertools.pairwise(names))
        if shape == "ring":
            links.append(("f", "a"))
        for left, right in links:
            net.peer(left, right)
        event_id = _add_event(net, "a")
        rounds = net.settle()
        assert rounds <= len(names) + 1
        for name in names:
            assert _holds(net, name, net["a"].id, event_id), name
            # every node holds every feed, each verified against its origin
            for other in names:
                assert _entry_count(net, name, net[other].id) == _entry_count(
                    net, other, net[other].id
                )


def test_a_newcomer_peering_with_one_member_learns_the_whole_network(
    tmp_path: Path, clock: FakeClock
) -> None:
    with network(tmp_path, clock) as net:
        for name in "abcd":
            net.add(name, city="Milano" if name == "c" else "Roma")
        net.peer("a", "b")
        net.peer("b", "c")
        net.peer("c", "d")
        net.settle()
        net.add("z")
        net.peer("d", "z")
        net.settle()
        with net["z"].node.db.read() as session:
            from node.services.network import list_spaces

            spaces = list_spaces(session, net["z"].node)
        assert {s["origin"] for s in spaces} == {net[n].id for n in "abcdz"}
        # addresses of nodes z never peered with are known from peer.announce entries
        by_origin = {s["origin"]: s for s in spaces}
        assert by_origin[net["a"].id]["url"] == "http://a.test"
        assert by_origin[net["c"].id]["city"] == "Milano"
        with net["z"].node.db.read() as session:
            # city filters match case-insensitively and literally (no LIKE wildcards)
            assert [s["origin"] for s in list_spaces(session, net["z"].node, city="milano")] == [
                net["c"].id
            ]
            assert list_spaces(session, net["z"].node, city="%") == []
            assert list_spaces(session, net["z"].node, city="M_lano") == []


def test_gossip_limited_to_direct_peers(tmp_path: Path, clock: FakeClock) -> None:
    with network(tmp_path, clock, gossip="peers") as net:
        net.chain("abc")
        with net["a"].node.db.read() as session:
            assert session.get(Origin, net["c"].id) is None
        assert _entry_count(net, "a", net["b"].id) > 0


def test_push_hint_triggers_an_early_pull(tmp_path: Path, clock: FakeClock) -> None:
    with network(tmp_path, clock) as net:
        net.add("a")
        net.add("b")
        net.peer("a", "b")
        net.settle()
        clock.advance(1)
        event_id = _add_event(net, "a")
        # Without the hint, b is not due for a pull until its sync interval passes.
        assert sync_due(net["b"].node).stored == 0
        assert not _holds(net, "b", net["a"].id, event_id)
        assert net.deliver() >= 1  # a's outbox sends heads.changed to b
        assert sync_due(net["b"].node).stored >= 1
        assert _holds(net, "b", net["a"].id, event_id)


def test_unreachable_peer_backs_off_and_hints_do_not_reset_failures(
    tmp_path: Path, clock: FakeClock
) -> None:
    with network(tmp_path, clock) as net:
        net.add("a")
        net.add("b")
        net.peer("a", "b")
        net.settle()
        net.adapters["http://b.test"].down = True
        delays = []
        for _ in range(4):
            report = sync_due(net["a"].node, force=True)
            assert report.reports[net["b"].id].peer_failed
            with net["a"].node.db.read() as session:
                peer = session.get(Peer, net["b"].id)
                delays.append((peer.failures, peer.next_try))
        assert [f for f, _ in delays] == [1, 2, 3, 4]
        # b comes back and sends a hint: the failure count stays until a pull succeeds
        net.adapters["http://b.test"].down = False
        _add_event(net, "b")
        net.deliver()
        with net["a"].node.db.read() as session:
            assert session.get(Peer, net["b"].id).failures == 4
        sync_due(net["a"].node, force=True)
        with net["a"].node.db.read() as session:
            peer = session.get(Peer, net["b"].id)
            assert peer.failures == 0 and peer.last_success is not None


def test_blocking_drops_mirror_and_stops_relay(tmp_path: Path, clock: FakeClock) -> None:
    with network(tmp_path, clock) as net:
        net.chain("abc")
        assert _entry_count(net, "b", net["c"].id) > 0
        with net["b"].node.db.write() as session:
            blocking.block(session, net["b"].node, net["c"].id, "spam")
        assert _entry_count(net, "b", net["c"].id) == 0
        heads = net["b"].client.get("/federation/v1/heads").get_json()["heads"]
        assert net["c"].id not in heads
        # c's new entries no longer reach b, and so not a through b
        event_id = _add_event(net, "c")
        net.settle()
        assert not _holds(net, "b", net["c"].id, event_id)
        # c's hint to b was refused (settle drained it) and waits for a retry
        from node.models import OutboxMessage

        with net["c"].node.db.read() as session:
            hint = session.scalar(
                select(OutboxMessage).where(
                    OutboxMessage.peer_id == net["b"].id, OutboxMessage.done.is_(False)
                )
            )
            assert hint is not None and not hint.done and hint.tries >= 1
            assert "blocked" in hint.last_error
        # export / import round trip
        with net["b"].node.db.read() as session:
            csv_text = blocking.export_csv(blocking.list_blocks(session))
        assert net["c"].id in csv_text and "spam" in csv_text
        with net["a"].node.db.write() as session:
            assert blocking.import_csv(session, net["a"].node, csv_text) == 1
        assert _entry_count(net, "a", net["c"].id) == 0


def test_key_rotation_is_followed_by_peers(tmp_path: Path, clock: FakeClock) -> None:
    from node.services.keys import rotate

    with network(tmp_path, clock) as net:
        net.chain("abc")
        old_kid = net["a"].node.key.kid
        clock.advance(60)
        new_key = rotate(net["a"].node)
        assert (net["a"].data_dir / "keys" / f"retired-{old_kid}.pem").exists()
        event_id = _add_event(net, "a")
        net.settle()
        assert _holds(net, "c", net["a"].id, event_id)  # c verified entries signed by the new key
        jwks = net["a"].client.get("/.well-known/jwks.json").get_json()["keys"]
        assert [k["kid"] for k in jwks] == [old_kid, new_key.kid]
        assert "until_seq" in jwks[0]["spazi"]
        # a still sends signed messages with its new key: the hint is accepted by b
        _add_event(net, "a", title="After rotation")
        assert net.deliver() >= 1


def test_a_rotation_by_another_process_is_picked_up_by_the_running_node(
    tmp_path: Path, clock: FakeClock
) -> None:
    from federation.canonical import parse_strict
    from federation.descriptor import verify_descriptor
    from federation.feeds import Head, verify_page
    from federation.keyring import Keyring
    from node.runtime import open_node
    from node.services.keys import rotate

    with network(tmp_path, clock) as net:
        net.add("a")
        net.add("b")
        net.peer("a", "b")
        net.settle()
        cli = open_node(str(net["a"].data_dir), clock=clock, environ={})
        try:
            new_key = rotate(cli)  # `spazi key rotate` while the server runs
        finally:
            cli.close()
        assert net["a"].node.key.kid != new_key.kid  # the server still holds the old key
        event_id = _add_event(net, "a")
        assert net["a"].node.key.kid == new_key.kid  # ...until it signs again
        page = parse_strict(net["a"].client.get(f"/federation/v1/feeds/{net['a'].id}").data)
        entries = verify_page(
            net["a"].id, Head(), page["entries"], Keyring(), net["a"].node.now_ms()
        )
        assert entries[-1].type == "event.put"
        descriptor = net["a"].client.get("/.well-known/spazi").get_json()
        verify_descriptor(descriptor, net["a"].id, net["a"].node.now_ms())
        net.settle()
        assert _holds(net, "b", net["a"].id, event_id)


def test_blocking_cancels_queued_messages_and_forgets_its_announcements(
    tmp_path: Path, clock: FakeClock
) -> None:
    from node.models import NodeAddress, OutboxMessage
    from node.network.outbox import drain

    with network(tmp_path, clock) as net:
        net.chain("abc")
        # b vouches for a node only it knows; c's address comes from c's own announcement.
        stranger = NodeKey.generate().did
        with net["b"].node.db.write() as session:
            peers = [{"id": net["b"].id, "url": "http://b.test"}]
            peers.append({"id": stranger, "url": "https://stranger.example"})
            publish(session, net["b"].node, "peer.announce", {"peers": peers})
        net.settle()
        with net["a"].node.db.read() as session:
            assert session.get(NodeAddress, stranger).announced_by == net["b"].id
            assert session.get(NodeAddress, net["c"].id).announced_by == net["c"].id
        _add_event(net, "a")  # queues a hint for b
        with net["a"].node.db.write() as session:
            blocking.block(session, net["a"].node, net["b"].id, "gone rogue")
        calls = net.adapters["http://b.test"].calls
        assert drain(net["a"].node).sent == 0
        assert net.adapters["http://b.test"].calls == calls
        with net["a"].node.db.read() as session:
            assert session.get(NodeAddress, stranger) is None
            assert session.get(NodeAddress, net["b"].id) is None
            # c's word on its own address does not depend on b.
            assert session.get(NodeAddress, net["c"].id).url == "http://c.test"
            pending = session.scalars(
                select(OutboxMessage).where(OutboxMessage.done.is_(False))
            ).all()
            assert pending == []


def test_new_origins_per_round_are_bounded(
    tmp_path: Path, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    from node.network import syncing

    monkeypatch.setattr(syncing, "MAX_NEW_ORIGINS_PER_ROUND", 1)
    with network(tmp_path, clock) as net:
        for name in "abcd":
            net.add(name)
        for other in "bcd":
            net.peer("a", other)
        net.settle()  # a now carries four feeds
        net.add("z")
        net.peer("a", "z")
        with net["z"].node.db.read() as session:
            before = set(session.scalars(select(Origin.id)))
        sync_due(net["z"].node, force=True, only=net["a"].id)
        with net["z"].node.db.read() as session:
            after = set(session.scalars(select(Origin.id)))
        # a's own feed (a direct peer) plus at most one origin z had never seen
        assert len(after - before - {net["a"].id}) == 1
        net.settle()
        with net["z"].node.db.read() as session:
            assert len(set(session.scalars(select(Origin.id)))) == 5
