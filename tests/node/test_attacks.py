"""Attacks on the federation, each refused with a specific reason and nothing stored."""

from __future__ import annotations

from pathlib import Path

import pytest
import requests
from flask import Flask, redirect
from sqlalchemy import func, select, update

from federation.canonical import canonicalize, parse_strict
from federation.entries import build_entry
from federation.httpsig import sign_request
from federation.keys import NodeKey
from node.errors import NodeError
from node.models import FeedEntry, ForkProof, Origin, Peer, SeenSignature
from node.network import joining
from node.network.syncing import NodeSyncStore, sync_due
from node.network.transport import signer
from tests.network import FlaskAdapter, network
from tests.support import FakeClock

EVENT = {"title": "Open day", "start": "2026-12-05T10:00", "end": "2026-12-05T16:00"}


def _count(test_node, origin: str) -> int:
    with test_node.node.db.read() as session:
        return session.scalar(
            select(func.count()).select_from(FeedEntry).where(FeedEntry.origin == origin)
        )


def _publish(test_node, **extra) -> None:
    response = test_node.client.post(
        "/api/v1/events", json={**EVENT, **extra}, headers=test_node.auth()
    )
    assert response.status_code == 201


def _tamper_last(test_node, origin: str, change) -> None:
    """Rewrite the relay's stored copy of ``origin``'s last entry."""
    with test_node.node.db.write() as session:
        row = session.scalars(
            select(FeedEntry).where(FeedEntry.origin == origin).order_by(FeedEntry.seq.desc())
        ).first()
        doc = parse_strict(row.raw)
        row.raw = canonicalize(change(doc))


@pytest.mark.parametrize("attack", ["forged-body", "re-signed-by-relay"])
def test_relayed_entries_are_verified_against_their_origin(
    tmp_path: Path, clock: FakeClock, attack: str
) -> None:
    with network(tmp_path, clock) as net:
        net.chain("abc")
        _publish(net["a"], title="Real title")
        sync_due(net["b"].node, force=True)  # only b has a's new entry
        before = _count(net["c"], net["a"].id)
        relay_key = net["b"].node.key

        def change(doc):
            doc["body"]["title"] = "Free beer, bring your passwords"
            if attack == "re-signed-by-relay":
                del doc["sig"]
                entry = build_entry(
                    relay_key,
                    doc["origin"],
                    doc["seq"],
                    doc["prev"],
                    doc["ts"],
                    doc["type"],
                    doc["body"],
                )
                return entry.to_dict()
            return doc

        _tamper_last(net["b"], net["a"].id, change)
        report = sync_due(net["c"].node, force=True).reports[net["b"].id]
        assert report.errors[net["a"].id].reason == "bad-signature"
        assert _count(net["c"], net["a"].id) == before


def _signed_inbox_request(sender, recipient_url: str, message: dict) -> requests.PreparedRequest:
    request = requests.Request(
        "POST",
        recipient_url + "/federation/v1/inbox",
        data=canonicalize(message),
        headers={"Content-Type": "application/json"},
    ).prepare()
    signer(sender.node)(request)
    return request


def _post(test_node, request: requests.PreparedRequest):
    return test_node.client.post(
        "/federation/v1/inbox", data=request.body, headers=dict(request.headers)
    )


def test_a_replayed_signed_request_is_refused(tmp_path: Path, clock: FakeClock) -> None:
    with network(tmp_path, clock) as net:
        net.add("a")
        net.add("b")
        net.peer("a", "b")
        message = {"type": "heads.changed", "from": net["a"].id, "to": net["b"].id, "heads": {}}
        request = _signed_inbox_request(net["a"], "http://b.test", message)
        assert _post(net["b"], request).status_code == 202
        before = net["b"].counts()
        again = _post(net["b"], request)
        assert again.status_code == 401
        assert again.get_json()["type"] == "urn:spazi:problem:replayed"
        assert net["b"].counts() == before


def test_a_request_signed_by_a_key_not_bound_to_its_sender(
    tmp_path: Path, clock: FakeClock
) -> None:
    with network(tmp_path, clock) as net:
        for name in "abc":
            net.add(name)
        net.peer("a", "b")
        before = net["b"].counts()
        # c signs (as itself) a message that claims to come from a
        message = {"type": "heads.changed", "from": net["a"].id, "to": net["b"].id, "heads": {}}
        response = _post(net["b"], _signed_inbox_request(net["c"], "http://b.test", message))
        assert response.status_code == 403
        assert response.get_json()["type"] == "urn:spazi:problem:sender-mismatch"
        # c's key presented as a key of a
        request = _signed_inbox_request(net["c"], "http://b.test", message)
        for name in ("Signature-Input",):
            request.headers[name] = request.headers[name].replace(net["c"].id, net["a"].id)
        response = _post(net["b"], request)
        assert response.status_code == 401
        assert response.get_json()["type"] == "urn:spazi:problem:unknown-key"
        # a message for another node is refused too
        wrong = {"type": "heads.changed", "from": net["a"].id, "to": net["c"].id, "heads": {}}
        response = _post(net["b"], _signed_inbox_request(net["a"], "http://b.test", wrong))
        assert response.status_code == 403
        assert response.get_json()["type"] == "urn:spazi:problem:wrong-recipient"
        with net["b"].node.db.read() as session:
            assert session.scalar(select(func.count()).select_from(SeenSignature)) == 0
        assert net["b"].counts() == before


def test_an_oversized_page_is_refused(tmp_path: Path, clock: FakeClock) -> None:
    with network(tmp_path, clock) as net:
        net.add("a")
        net.add("b")
        net.peer("a", "b")
        net.settle()
        _publish(net["a"], description="x" * 4000)
        net["b"].node.settings["max_response_bytes"] = 3000
        before = _count(net["b"], net["a"].id)
        report = sync_due(net["b"].node, force=True).reports[net["a"].id]
        issue = report.errors.get(net["a"].id) or report.peer_error
        assert issue.reason == "response-too-large"
        assert _count(net["b"], net["a"].id) == before


@pytest.mark.parametrize(
    "url", ["http://127.0.0.1:9", "http://localhost:9", "http://[::1]:9", "http://169.254.169.254"]
)
def test_a_peer_url_on_a_private_address_is_refused(
    tmp_path: Path, clock: FakeClock, url: str
) -> None:
    with network(tmp_path, clock) as net:
        net.add("a")
        before = net["a"].counts()
        with pytest.raises(NodeError) as refused:
            joining.discover(net["a"].node, url)
        assert "private-address" in refused.value.detail
        assert net["a"].counts() == before


def test_a_redirect_to_another_host_is_refused(tmp_path: Path, clock: FakeClock) -> None:
    with network(tmp_path, clock) as net:
        net.add("a")
        net.add("b")
        evil = Flask("evil")

        @evil.route("/", defaults={"path": ""})
        @evil.route("/<path:path>")
        def bounce(path: str):
            return redirect(f"http://b.test/{path}", code=302)

        net.adapters["http://evil.test"] = FlaskAdapter(evil)
        before = net["a"].counts()
        with pytest.raises(NodeError) as refused:
            joining.discover(net["a"].node, "http://evil.test")
        assert "cross-host-redirect" in refused.value.detail
        assert net["a"].counts() == before


def _fork_origin(test_node) -> None:
    """Make ``test_node`` sign a second, different entry at its current head seq."""
    node = test_node.node
    with node.db.write() as session:
        origin = session.get(Origin, node.node_id)
        last = session.get(FeedEntry, (node.node_id, origin.head_seq))
        doc = parse_strict(last.raw)
        doc["body"] = {**doc["body"], "title": "A different history"}
        forked = build_entry(
            node.key, node.node_id, doc["seq"], doc["prev"], doc["ts"], doc["type"], doc["body"]
        )
        last.raw, last.hash = forked.raw, forked.hash
        session.execute(
            update(Origin).where(Origin.id == node.node_id).values(head_hash=forked.hash)
        )


def test_a_fork_is_proven_quarantined_and_spread(tmp_path: Path, clock: FakeClock) -> None:
    with network(tmp_path, clock) as net:
        for name in "abc":
            net.add(name)
        net.peer("a", "b")
        net.peer("b", "c")
        _publish(net["a"])
        net.settle()
        _fork_origin(net["a"])
        report = sync_due(net["b"].node, force=True).reports[net["a"].id]
        assert report.errors[net["a"].id].reason == "fork"
        with net["b"].node.db.read() as session:
            assert session.get(Origin, net["a"].id).status == "quarantined"
            assert session.scalar(select(func.count()).select_from(ForkProof)) == 1
        served = net["b"].client.get("/federation/v1/forks").get_json()["forks"]
        assert served[0]["origin"] == net["a"].id
        # c learns of the fork from b's proof, verifies it and quarantines a too
        sync_due(net["c"].node, force=True)
        with net["c"].node.db.read() as session:
            assert session.get(Origin, net["a"].id).status == "quarantined"
        # nothing new from a is accepted any more
        stored = _count(net["b"], net["a"].id)
        _publish(net["a"], title="After the fork")
        sync_due(net["b"].node, force=True)
        assert _count(net["b"], net["a"].id) == stored


def test_a_crash_mid_sync_resumes_without_loss_or_duplicates(
    tmp_path: Path, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    with network(tmp_path, clock) as net:
        net.add("a")
        net.add("b")
        for number in range(24):
            _publish(net["a"], title=f"Event {number}")
        net["b"].node.settings["feed_page_max"] = 5
        real_store = NodeSyncStore.store_page
        calls = {"n": 0}

        def crashing(self, origin, entries):
            calls["n"] += 1
            if calls["n"] == 3:
                raise RuntimeError("power cut")
            return real_store(self, origin, entries)

        monkeypatch.setattr(NodeSyncStore, "store_page", crashing)
        net.peer("a", "b")  # b joins a
        # The failure stops that origin for the round and is reported against it.
        report = sync_due(net["b"].node, force=True).reports[net["a"].id]
        assert report.errors[net["a"].id].detail == "RuntimeError: power cut"
        assert _count(net["b"], net["a"].id) == 10  # two whole pages, nothing of the third
        monkeypatch.setattr(NodeSyncStore, "store_page", real_store)
        sync_due(net["b"].node, force=True)
        total = _count(net["a"], net["a"].id)
        assert _count(net["b"], net["a"].id) == total
        with net["b"].node.db.read() as session:
            seqs = list(
                session.scalars(
                    select(FeedEntry.seq)
                    .where(FeedEntry.origin == net["a"].id)
                    .order_by(FeedEntry.seq)
                )
            )
            assert seqs == list(range(1, total + 1))
            assert session.get(Peer, net["a"].id).state == "active"


@pytest.mark.parametrize(
    "heads",
    [None, [], {"not-a-did": {"seq": 1, "hash": "ab"}}, {"x": 1}],
)
def test_a_malformed_hint_is_refused(tmp_path: Path, clock: FakeClock, heads) -> None:
    with network(tmp_path, clock) as net:
        net.add("a")
        net.add("b")
        net.peer("a", "b")
        before = net["b"].counts()
        message = {"type": "heads.changed", "from": net["a"].id, "to": net["b"].id}
        if heads is not None:
            message["heads"] = heads
        response = _post(net["b"], _signed_inbox_request(net["a"], "http://b.test", message))
        assert response.status_code == 422
        assert response.get_json()["type"] == "urn:spazi:problem:bad-message"
        assert net["b"].counts() == before


def test_an_unknown_key_never_makes_the_node_fetch_the_url_in_the_request(
    tmp_path: Path, clock: FakeClock
) -> None:
    """A peer.request signed by a key we cannot bind to its claimed id is refused before anything
    is fetched from the URL it names (protocol.md §Security considerations, item 2)."""
    with network(tmp_path, clock) as net:
        net.add("a")
        net.add("b")
        victim = FlaskAdapter(Flask("victim"))
        net.adapters["http://victim.test"] = victim
        stranger = NodeKey.generate()  # claims a's id but holds another key
        message = {
            "type": "peer.request",
            "from": net["a"].id,
            "to": net["b"].id,
            "url": "http://victim.test/anything",
        }
        request = requests.Request(
            "POST",
            "http://b.test/federation/v1/inbox",
            data=canonicalize(message),
            headers={"Content-Type": "application/json"},
        ).prepare()
        sign_request(request, stranger, net["a"].id, int(clock()))
        before = net["b"].counts()
        response = _post(net["b"], request)
        assert response.status_code == 401
        assert response.get_json()["type"] == "urn:spazi:problem:unknown-key"
        assert victim.calls == 0
        assert net["b"].counts() == before


def test_a_newcomer_that_rotated_its_key_can_still_peer(tmp_path: Path, clock: FakeClock) -> None:
    """Its first request carries its key.rotate entries, checked from its id alone."""
    from node.services.keys import rotate

    with network(tmp_path, clock) as net:
        net.add("a")
        net.add("b")
        rotate(net["b"].node)
        peer = joining.request(net["b"].node, joining.discover(net["b"].node, "http://a.test"))
        assert peer.state == "requested"
        with net["a"].node.db.read() as session:
            assert session.get(Peer, net["b"].id).state == "pending"


def test_an_inbox_message_must_be_json_and_small(tmp_path: Path, clock: FakeClock) -> None:
    with network(tmp_path, clock) as net:
        net.add("b")
        response = net["b"].client.post(
            "/federation/v1/inbox", data="hello", headers={"Content-Type": "text/plain"}
        )
        assert response.status_code == 415
        big = b'{"type":"heads.changed","pad":"' + b"x" * 70_000 + b'"}'
        response = net["b"].client.post(
            "/federation/v1/inbox", data=big, headers={"Content-Type": "application/json"}
        )
        assert response.status_code == 413
        assert response.get_json()["type"] == "urn:spazi:problem:body-too-large"
