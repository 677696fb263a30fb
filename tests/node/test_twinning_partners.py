"""Naming a partner space: by id, URL or name, among the nodes this one knows."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from node.errors import Conflict, InvalidInput, NotFound
from node.twinning.partners import known_spaces, resolve_partner
from tests.network import Network
from tests.support import FakeClock


@pytest.fixture
def net(tmp_path: Path, clock: FakeClock) -> Iterator[Network]:
    network = Network(tmp_path, clock)
    network.add("a", title="WeCreate NYC")
    network.add("b", title="The Cube")
    network.add("c", title="Prato Hub")
    network.peer("a", "b")
    network.peer("b", "c")
    network.settle()
    try:
        yield network
    finally:
        network.close()


def _resolve(net: Network, text: str) -> str:
    with net["a"].node.db.read() as session:
        return resolve_partner(session, net["a"].node, text).node_id


def test_a_partner_is_named_by_id_url_or_name(net: Network) -> None:
    cube, prato = net["b"].id, net["c"].id
    assert _resolve(net, cube) == cube
    assert _resolve(net, "http://B.test/") == cube
    assert _resolve(net, "  the cube ") == cube
    # Reached only through gossip: a profile and an announced address, no peering.
    assert _resolve(net, "Prato Hub") == prato
    assert _resolve(net, "http://c.test") == prato
    with net["a"].node.db.read() as session:
        spaces = {s.node_id: s for s in known_spaces(session, net["a"].node)}
    assert spaces[prato].peer_state is None and spaces[prato].url == "http://c.test"
    assert spaces[cube].peer_state == "active"
    assert net["a"].id not in spaces


def test_unknown_self_and_ambiguous_partners_are_refused(net: Network) -> None:
    with pytest.raises(NotFound) as unknown:
        _resolve(net, "Nowhere Hub")
    assert unknown.value.reason == "unknown-partner"
    with pytest.raises(InvalidInput) as itself:
        _resolve(net, net["a"].id)
    assert itself.value.reason == "self-partner"
    with pytest.raises(InvalidInput):
        _resolve(net, "   ")
    # A second space called "The Cube" makes the name ambiguous; its id still resolves.
    net.add("d", title="The Cube")
    net.peer("a", "d")
    net.settle()
    with pytest.raises(Conflict) as ambiguous:
        _resolve(net, "The Cube")
    assert ambiguous.value.reason == "ambiguous-partner"
    assert _resolve(net, net["d"].id) == net["d"].id
