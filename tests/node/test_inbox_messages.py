"""Inbox messages are closed per type (protocol.md §Inbox, §Versioning rule 1).

Each message is really signed by a peer and posted to the receiver's inbox endpoint: a refused
message answers ``bad-message`` (or ``unknown-message-type``) and changes nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
import requests
from sqlalchemy.orm import Session

from federation.canonical import canonicalize
from node.errors import NodeError
from node.models import Peer
from node.network.handlers import InboxHandlers, check_handlers
from node.network.inbox import Delivery, receive
from node.network.inbox_handlers import HANDLERS
from node.network.transport import signer
from node.runtime import Node
from node.twinning.handlers import agreement_accept, agreement_propose, agreement_reject
from tests.network import Network, network, signed_inbox_post
from tests.support import FakeClock

HASH = "ab" * 32


def _message(net: Network, kind: str, **members: Any) -> dict[str, Any]:
    return {"type": kind, "from": net["a"].id, "to": net["b"].id, **members}


@pytest.fixture
def peered(tmp_path: Path, clock: FakeClock):
    with network(tmp_path, clock) as net:
        net.add("a")
        net.add("b")
        net.peer("a", "b")
        yield net


def _refused(net: Network, message: dict[str, Any], reason: str = "bad-message") -> None:
    before = net["b"].counts()
    with net["b"].node.db.read() as session:
        peer_before = session.get(Peer, net["a"].id)
        next_try = peer_before.next_try if peer_before is not None else None
    response = signed_inbox_post(net, "a", "b", message)
    assert response.status_code == 422, response.get_json()
    assert response.get_json()["type"] == f"urn:spazi:problem:{reason}"
    assert net["b"].counts() == before
    with net["b"].node.db.read() as session:
        peer_after = session.get(Peer, net["a"].id)
        assert (peer_after.next_try if peer_after is not None else None) == next_try


@pytest.mark.parametrize(
    "extra",
    [
        {"invite": "secret"},
        {"url": "http://a.test"},
        {"name": "A"},
        {"keys": []},
    ],
)
def test_heads_changed_refuses_members_of_other_types(peered: Network, extra) -> None:
    _refused(peered, _message(peered, "heads.changed", heads={}, **extra))


@pytest.mark.parametrize("kind", ["peer.accept", "peer.reject"])
@pytest.mark.parametrize(
    "extra",
    [{"heads": {}}, {"url": "http://a.test"}, {"name": "A"}, {"invite": "x"}, {"keys": []}],
)
def test_peer_answers_carry_no_members(peered: Network, kind: str, extra) -> None:
    _refused(peered, _message(peered, kind, **extra))


def test_peer_request_refuses_heads(peered: Network) -> None:
    _refused(peered, _message(peered, "peer.request", url="http://a.test", heads={}))


@pytest.mark.parametrize(
    "head",
    [
        {"seq": True, "hash": HASH},  # bool is an int in Python, not in JSON
        {"seq": 1, "hash": "x"},
        {"seq": 1, "hash": HASH.upper()},
        {"seq": 1, "hash": HASH + "00"},
        {"seq": 0, "hash": HASH},
        {"seq": -1, "hash": HASH},
        {"seq": "1", "hash": HASH},
        {"seq": 1, "hash": HASH, "extra": 1},
        {"seq": 1},
    ],
)
def test_heads_changed_checks_each_head(peered: Network, head) -> None:
    _refused(peered, _message(peered, "heads.changed", heads={peered["a"].id: head}))


def test_a_well_formed_hint_is_accepted(peered: Network) -> None:
    heads = {peered["a"].id: {"seq": 2**53 - 1, "hash": HASH}}
    response = signed_inbox_post(peered, "a", "b", _message(peered, "heads.changed", heads=heads))
    assert response.status_code == 202
    assert response.get_json() == {"state": "active"}


def test_a_specified_type_is_checked_member_by_member(peered: Network) -> None:
    # visit.report is handled (node/twinning/receipts.py): a report lacking its members is bad.
    _refused(peered, _message(peered, "visit.report"), reason="bad-message")


def test_an_unspecified_type_is_refused(peered: Network) -> None:
    _refused(peered, _message(peered, "heads.gone", heads={}), reason="unknown-message-type")


def test_receive_ends_in_the_handler_registered_for_the_type(peered: Network) -> None:
    """A feature registers a handler for a type; ``receive`` routes the verified message to it."""
    report = {
        "agreement": HASH,
        "member": "m-42",
        "day": "2026-03-02",
        "jti": "AAAAAAAAAAAAAAAAAAAAAA",
    }
    request = requests.Request(
        "POST",
        "http://b.test/federation/v1/inbox",
        data=canonicalize(_message(peered, "visit.report", **report)),
        headers={"Content-Type": "application/json"},
    ).prepare()
    signer(peered["a"].node)(request)
    assert isinstance(request.body, bytes)
    delivery = Delivery("POST", request.url or "", list(request.headers.items()), request.body)
    receiver = peered["b"].node
    with pytest.raises(NodeError) as refused:  # the twinning handler: no agreement with a
        receive(receiver, delivery)
    assert refused.value.reason == "bad-peer-state"

    seen: list[Mapping[str, Any]] = []

    def handle(session: Session, node: Node, message: Mapping[str, Any]) -> dict[str, Any]:
        seen.append(message)
        return {"counted": True}

    registry = InboxHandlers()
    for kind, core, prepare in HANDLERS:
        registry.register(kind, core, prepare=prepare)
    registry.register("visit.report", handle)
    registry.register("agreement.propose", agreement_propose)
    registry.register("agreement.accept", agreement_accept)
    registry.register("agreement.reject", agreement_reject)
    registry.refuse("booking.notice", "not in this test")
    registry.refuse("project.answer", "not in this test")
    registry.refuse("project.reply", "not in this test")
    check_handlers(registry)
    assert receive(receiver, delivery, registry) == {"counted": True}
    assert [m["jti"] for m in seen] == [report["jti"]]
