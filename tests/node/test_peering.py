"""Peering between in-process nodes: invite codes, requests and approvals, the state machine."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from node.errors import Conflict, NodeError
from node.models import Peer
from node.network import joining, peering
from tests.network import network
from tests.support import FakeClock


def _state(net, a: str, b: str) -> str | None:
    with net[a].node.db.read() as session:
        peer = session.get(Peer, net[b].id)
        return peer.state if peer else None


def test_invite_code_peers_both_ways_and_is_one_time(tmp_path: Path, clock: FakeClock) -> None:
    with network(tmp_path, clock) as net:
        net.add("a")
        net.add("b")
        net.add("c")
        code = joining.create_invite(net["a"].node, timedelta(days=7))
        peer = joining.join(net["b"].node, code)
        assert peer.id == net["a"].id and peer.state == "active"
        assert _state(net, "a", "b") == "active" and _state(net, "b", "a") == "active"
        with pytest.raises(NodeError) as used:
            joining.join(net["c"].node, code)
        assert used.value.reason == "invite-used"
        assert _state(net, "a", "c") is None and _state(net, "c", "a") is None


def test_expired_invite_is_refused(tmp_path: Path, clock: FakeClock) -> None:
    with network(tmp_path, clock) as net:
        net.add("a")
        net.add("b")
        code = joining.create_invite(net["a"].node, timedelta(hours=1))
        clock.advance(2 * 3600)
        with pytest.raises(Conflict) as expired:
            joining.join(net["b"].node, code)
        assert expired.value.reason == "invite-expired"
        assert _state(net, "b", "a") is None


def test_invite_for_another_node_id_is_refused(tmp_path: Path, clock: FakeClock) -> None:
    from federation.canonical import canonicalize, parse_strict
    from federation.encoding import b64u_decode, b64u_encode
    from node.network.invites import PREFIX

    with network(tmp_path, clock) as net:
        net.add("a")
        net.add("b")
        net.add("c")
        code = joining.create_invite(net["a"].node, timedelta(days=1))
        doc = parse_strict(b64u_decode(code[len(PREFIX) :]))
        doc["url"] = "http://c.test"  # points at C while naming A's id
        forged = PREFIX + b64u_encode(canonicalize(doc))
        with pytest.raises(Conflict) as wrong:
            joining.join(net["b"].node, forged)
        assert wrong.value.reason == "wrong-node-id"
        assert _state(net, "b", "a") is None and _state(net, "c", "b") is None


def test_request_approve_flow(tmp_path: Path, clock: FakeClock) -> None:
    with network(tmp_path, clock) as net:
        net.add("a")
        net.add("b")
        descriptor = joining.discover(net["a"].node, "http://b.test")
        assert descriptor.id == net["b"].id
        assert joining.request(net["a"].node, descriptor).state == "requested"
        assert _state(net, "b", "a") == "pending"
        joining.approve(net["b"].node, net["a"].id)
        assert _state(net, "b", "a") == "active"
        assert net.deliver() >= 1  # the peer.accept message reaches A
        assert _state(net, "a", "b") == "active"


def test_request_reject_flow(tmp_path: Path, clock: FakeClock) -> None:
    with network(tmp_path, clock) as net:
        net.add("a")
        net.add("b")
        joining.request(net["a"].node, joining.discover(net["a"].node, "http://b.test"))
        joining.reject(net["b"].node, net["a"].id)
        net.deliver()
        assert _state(net, "a", "b") == "rejected" and _state(net, "b", "a") == "rejected"
        with pytest.raises(Conflict) as again:
            joining.approve(net["b"].node, net["a"].id)
        assert again.value.reason == "bad-peer-state"


def test_state_machine_refuses_undefined_transitions() -> None:
    assert peering.next_state("pending", "approve") == "active"
    assert peering.next_state("requested", "receive_request") == "active"
    for state, event in [
        ("active", "approve"),
        ("new", "approve"),
        ("blocked", "join"),
        ("rejected", "receive_accept"),
    ]:
        with pytest.raises(Conflict) as refused:
            peering.next_state(state, event)
        assert state in refused.value.detail
