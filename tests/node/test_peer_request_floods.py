"""Unsolicited peering requests are bounded (protocol.md §Inbox): a cap on pending requests, a
token bucket per source address, throttled invite guesses, and admins can page and clear them.

Requests are really signed by other nodes and posted to the receiver's inbox; a refused request
answers 429 ``too-many-requests``, fetches nothing from the sender and changes nothing.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import requests
from sqlalchemy import func, select

from federation.canonical import canonicalize
from federation.keys import NodeKey
from node.cli import main
from node.models import OutboxMessage, Peer
from node.network import peering
from node.network.invites import create_invite, parse_invite
from node.network.transport import signer
from node.services.admin_auth import create_user
from tests.network import Network, network
from tests.support import FakeClock, SpaceNode

EMAIL, PASSWORD = "admin@example.org", "correct horse battery"


def _post(net: Network, sender: str, message: dict[str, Any], remote: str = "127.0.0.1") -> Any:
    """Sign ``message`` as node ``sender`` and post it to b's inbox from address ``remote``."""
    request = requests.Request(
        "POST",
        "http://b.test/federation/v1/inbox",
        data=canonicalize(message),
        headers={"Content-Type": "application/json"},
    ).prepare()
    signer(net[sender].node)(request)
    return net["b"].client.post(
        "/federation/v1/inbox",
        data=request.body,
        headers=dict(request.headers),
        environ_base={"REMOTE_ADDR": remote},
    )


def _request(net: Network, sender: str, **extra: Any) -> dict[str, Any]:
    url = net[sender].url
    return {"type": "peer.request", "from": net[sender].id, "to": net["b"].id, "url": url, **extra}


def _refused(net: Network, sender: str, response: Any, before: dict[str, Any], calls: int) -> None:
    assert response.status_code == 429, response.get_json()
    assert response.get_json()["type"] == "urn:spazi:problem:too-many-requests"
    assert int(response.headers["Retry-After"]) > 0  # when asking again may succeed
    assert net.adapters[net[sender].url].calls == calls  # the sender's descriptor was not fetched
    assert net["b"].counts() == before


def _pending(space: SpaceNode) -> int:
    with space.node.db.read() as session:
        return int(
            session.scalar(select(func.count()).select_from(Peer).where(Peer.state == "pending"))
        )


def test_pending_requests_are_capped_before_anything_is_fetched(
    tmp_path: Path, clock: FakeClock
) -> None:
    with network(tmp_path, clock, max_pending_requests=2) as net:
        for name in "bcdef":
            net.add(name)
        for name in "cd":
            assert _post(net, name, _request(net, name)).status_code == 202
        assert _pending(net["b"]) == 2
        before, calls = net["b"].counts(), net.adapters[net["e"].url].calls
        _refused(net, "e", _post(net, "e", _request(net, "e")), before, calls)
        # Asking again while pending adds no row, and an invite is the admin's consent: both pass.
        assert _post(net, "c", _request(net, "c")).status_code == 202
        with net["b"].node.db.write() as session:
            secret = parse_invite(create_invite(session, net["b"].node, _days(1)))["secret"]
        answer = _post(net, "f", _request(net, "f", invite=secret))
        assert answer.status_code == 202 and answer.get_json() == {"state": "active"}


def _days(count: int) -> Any:
    from datetime import timedelta

    return timedelta(days=count)


def test_peer_requests_from_one_address_are_rate_limited(tmp_path: Path, clock: FakeClock) -> None:
    with network(tmp_path, clock, peer_requests_per_minute=2) as net:
        for name in "bcde":
            net.add(name)
        mono = FakeClock(0.0)
        net["b"].node.monotonic = mono
        assert _post(net, "c", _request(net, "c")).status_code == 202
        assert _post(net, "d", _request(net, "d")).status_code == 202
        before, calls = net["b"].counts(), net.adapters[net["e"].url].calls
        _refused(net, "e", _post(net, "e", _request(net, "e")), before, calls)
        # Another address has its own bucket; this one refills with time.
        assert _post(net, "e", _request(net, "e"), remote="203.0.113.7").status_code == 202
        mono.advance(30)
        assert _post(net, "e", _request(net, "e")).status_code == 202
        assert _pending(net["b"]) == 3


def test_an_ipv6_client_is_limited_by_its_64_network(tmp_path: Path, clock: FakeClock) -> None:
    """A host holds a whole /64: a new address from it for each request gets no new bucket."""
    with network(tmp_path, clock, peer_requests_per_minute=2) as net:
        for name in "bcdef":
            net.add(name)
        net["b"].node.monotonic = FakeClock(0.0)
        assert _post(net, "c", _request(net, "c"), remote="2001:db8:1:2::1").status_code == 202
        assert _post(net, "d", _request(net, "d"), remote="2001:db8:1:2::ffff").status_code == 202
        before, calls = net["b"].counts(), net.adapters[net["e"].url].calls
        answer = _post(net, "e", _request(net, "e"), remote="2001:db8:1:2:abcd::9")
        _refused(net, "e", answer, before, calls)
        assert int(answer.headers["Retry-After"]) == 30  # one token every 30 s
        # The next /64 is another network.
        assert _post(net, "f", _request(net, "f"), remote="2001:db8:1:3::1").status_code == 202


def test_address_keys() -> None:
    from node.ratelimit import address_key

    assert address_key("203.0.113.7") == "203.0.113.7"
    assert address_key("2001:db8:1:2:3:4:5:6") == "2001:db8:1:2::/64"
    assert address_key("::ffff:203.0.113.7") == "203.0.113.7"  # an IPv4 client on a v6 socket
    assert address_key("unknown") == "unknown"


def test_invite_guesses_are_throttled_per_address_and_per_sender(
    tmp_path: Path, clock: FakeClock
) -> None:
    with network(tmp_path, clock, peer_requests_per_minute=100) as net:
        for name in "bcd":
            net.add(name)
        mono = FakeClock(0.0)
        net["b"].node.monotonic = mono
        with net["b"].node.db.write() as session:
            secret = parse_invite(create_invite(session, net["b"].node, _days(1)))["secret"]
        calls = net.adapters[net["c"].url].calls
        for guess in range(5):
            answer = _post(net, "c", _request(net, "c", invite=f"wrong-guess-{guess:04d}"))
            assert answer.status_code == 403
            assert answer.get_json()["type"] == "urn:spazi:problem:invite-unknown"
        assert net.adapters[net["c"].url].calls == calls  # a wrong code costs no fetch
        before = net["b"].counts()
        # Now even the right code is refused unchecked: from that address…
        _refused(net, "d", _post(net, "d", _request(net, "d", invite=secret)), before, calls)
        # …and for that sender from anywhere.
        response = _post(net, "c", _request(net, "c", invite=secret), remote="203.0.113.7")
        _refused(net, "c", response, before, calls)
        mono.advance(15 * 60)  # the window has passed
        answer = _post(net, "c", _request(net, "c", invite=secret))
        assert answer.status_code == 202 and answer.get_json() == {"state": "active"}


# -- admins page and clear the requests --------------------------------------------------------


def _add_pending(space: SpaceNode, count: int) -> list[str]:
    ids = []
    with space.node.db.write() as session:
        for number in range(count):
            node_id = NodeKey.generate().did
            clock_now = space.node.now()
            peering.apply(
                session,
                node_id,
                "receive_request",
                clock_now,
                url=f"https://n{number}.example",
                name=f"<b>Space {number}</b>",
            )
            ids.append(node_id)
    return ids


def _login(space: SpaceNode) -> None:
    with space.node.db.write() as session:
        create_user(session, EMAIL, PASSWORD)
    space.app.config["WTF_CSRF_ENABLED"] = True
    token = _token(space, "/admin/login")
    response = space.client.post(
        "/admin/login", data={"email": EMAIL, "password": PASSWORD, "csrf_token": token}
    )
    assert response.status_code == 302


def _token(space: SpaceNode, path: str) -> str:
    response = space.client.get(path)
    assert response.status_code == 200, path
    match = re.search(r'name="csrf_token" value="([^"]+)"', response.get_data(as_text=True))
    assert match
    return match.group(1)


def test_the_admin_page_pages_requests_and_clears_them(space: SpaceNode) -> None:
    ids = _add_pending(space, 27)
    _login(space)
    first = space.client.get("/admin/network").get_data(as_text=True)
    assert first.count('action="/admin/network/approve"') == 20
    assert "&lt;b&gt;Space 0&lt;/b&gt;" in first and "<b>Space" not in first
    assert "27 requests" in first and "/admin/network?page=2" in first
    second = space.client.get("/admin/network?page=2").get_data(as_text=True)
    assert second.count('action="/admin/network/approve"') == 7
    assert space.client.get("/admin/network?page=x").status_code == 200  # read as page 1
    # Without the CSRF token nothing happens.
    before = space.counts()
    assert space.client.post("/admin/network/requests/clear").status_code == 400
    assert space.counts() == before
    token = _token(space, "/admin/network")
    answer = space.client.post("/admin/network/requests/clear", data={"csrf_token": token})
    assert answer.status_code == 302
    assert _pending(space) == 0
    with space.node.db.read() as session:
        assert {session.get(Peer, i).state for i in ids} == {"rejected"}
        rejects = session.scalar(
            select(func.count())
            .select_from(OutboxMessage)
            .where(OutboxMessage.kind == "peer.reject")
        )
        assert rejects == 27  # each sender is told, as with one rejection
    page = space.client.get("/admin/network").get_data(as_text=True)
    assert "Rejected 27 peering requests" in page and "No requests waiting" in page


def test_cli_clears_pending_requests(space: SpaceNode, capsys: pytest.CaptureFixture[str]) -> None:
    _add_pending(space, 3)
    data_dir = str(space.data_dir)
    extra = ["--data-dir", data_dir]
    assert main(["peer", "requests", "--clear", *extra]) == 2  # no terminal to confirm on
    assert "--yes" in capsys.readouterr().err
    assert _pending(space) == 3
    assert main(["peer", "requests", "--clear", "--yes", *extra]) == 0
    assert "rejected 3 peering requests" in capsys.readouterr().out
    assert _pending(space) == 0
