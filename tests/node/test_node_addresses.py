"""Where other nodes are reached: ``peer.announce`` items, a node's own word first.

A node links to spaces it does not peer with at the addresses announced in the network's feeds.
A hostile relay must not be able to move those links: a node's announcement of its own address
wins over anyone else's, and the first announcer of someone else's address keeps it.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from federation.canonical import parse_strict
from federation.entries import Entry, build_entry
from federation.keys import NodeKey
from node.feedstore import entry_raw, head, store_verified
from node.models import NodeAddress
from node.network.peering import announce_peers
from tests.federation.builders import KEY_A, KEY_B, KEY_C
from tests.support import SpaceNode, make_node

T0_MS = 1_790_000_000_000


@pytest.fixture
def observer(tmp_path: Path) -> Iterator[SpaceNode]:
    node = make_node(tmp_path, url="http://observer.test")
    yield node
    node.close()


def announce(observer: SpaceNode, key: NodeKey, peers: list[tuple[NodeKey, str]]) -> Entry:
    """Append a signed ``peer.announce`` of ``key`` to its feed as the observer holds it."""
    with observer.node.db.write() as session:
        at = head(session, key.did)
        entry = build_entry(
            key, key.did, at.seq + 1, at.hash, T0_MS + at.seq, "peer.announce",
            {"peers": [{"id": peer.did, "url": url} for peer, url in peers]},
        )  # fmt: skip
        store_verified(session, key.did, [entry], None)
    return entry


def address(observer: SpaceNode, key: NodeKey) -> tuple[str, str] | None:
    with observer.node.db.read() as session:
        row = session.get(NodeAddress, key.did)
        return None if row is None else (row.url, row.announced_by)


def test_a_nodes_own_announcement_overrules_a_relays(observer: SpaceNode) -> None:
    evil, honest = KEY_B, KEY_C
    announce(observer, evil, [(honest, "https://phish.example")])
    assert address(observer, honest) == ("https://phish.example", evil.did)
    announce(observer, honest, [(honest, "https://honest.example")])
    assert address(observer, honest) == ("https://honest.example", honest.did)
    # Saying it again does not move it back; the node itself still can.
    announce(observer, evil, [(honest, "https://phish.example/again")])
    assert address(observer, honest) == ("https://honest.example", honest.did)
    announce(observer, honest, [(honest, "https://moved.example")])
    assert address(observer, honest) == ("https://moved.example", honest.did)


def test_hearsay_stays_with_its_first_announcer(observer: SpaceNode) -> None:
    announce(observer, KEY_A, [(KEY_C, "https://c.example")])
    announce(observer, KEY_B, [(KEY_C, "https://elsewhere.example")])
    assert address(observer, KEY_C) == ("https://c.example", KEY_A.did)
    announce(observer, KEY_A, [(KEY_C, "https://c.example/new")])
    assert address(observer, KEY_C) == ("https://c.example/new", KEY_A.did)


def test_a_node_announces_itself_first(observer: SpaceNode) -> None:
    with observer.node.db.write() as session:
        entry_seq = head(session, observer.node.node_id).seq
        announce_peers(session, observer.node)
    with observer.node.db.read() as session:
        doc = parse_strict(entry_raw(session, observer.node.node_id, entry_seq + 1))
    assert doc["type"] == "peer.announce"
    assert doc["body"]["peers"][0] == {"id": observer.node.node_id, "url": "http://observer.test"}


def test_a_node_without_its_url_announces_only_its_peers(tmp_path: Path) -> None:
    node = make_node(tmp_path, url="")
    try:
        with node.node.db.write() as session:
            seq = head(session, node.node.node_id).seq
            announce_peers(session, node.node)
        with node.node.db.read() as session:
            doc = parse_strict(entry_raw(session, node.node.node_id, seq + 1))
        assert doc["body"] == {"peers": []}
    finally:
        node.close()
