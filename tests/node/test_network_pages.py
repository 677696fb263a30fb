"""The network for people and for admins, on an in-process network of three spaces in three
cities: ``/network``, ``/network/events`` and its calendar list every origin with where each item
came from and how fresh it is; ``/admin/network`` approves requests and blocks nodes behind the
admin login and CSRF check."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from html import unescape
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from icalendar import Calendar

from federation.canonical import parse_strict
from federation.entries import build_entry
from federation.keys import fingerprint
from node.models import Event, FeedEntry, Origin, Peer, Space
from node.network import joining
from node.network.syncing import sync_due
from node.services.admin_auth import create_user
from node.web.calendar import event_uid
from tests.network import Network, network
from tests.support import FakeClock, SpaceNode

EMAIL = "hosts@example.org"
PASSWORD = "correct horse battery staple"

SPACES: dict[str, dict[str, Any]] = {
    "a": {
        "title": "Alveare",
        "city": "Roma",
        "country": "IT",
        "timezone": "Europe/Rome",
        "amenities": ["Wi-Fi", "Terrace"],
    },
    "b": {"title": "Binario", "city": "Milano", "country": "IT", "timezone": "Europe/Rome"},
    "c": {"title": "Cubicle", "city": "London", "country": "GB", "timezone": "Europe/London"},
}
EVENTS: dict[str, dict[str, Any]] = {
    "a": {
        "title": "Aperitivo",
        "start": "2026-12-05T18:00",
        "end": "2026-12-05T21:00",
        "tags": ["social"],
    },
    "b": {
        "title": "Design workshop",
        "start": "2026-12-10T10:00",
        "end": "2026-12-10T13:00",
        "tags": ["design"],
    },
    "c": {
        "title": "Founders meetup",
        "start": "2026-12-12T18:30",
        "end": "2026-12-12T20:30",
        "tags": ["social"],
    },
}
CANCELLED = {"title": "Cancelled quiz", "start": "2026-12-14T19:00", "end": "2026-12-14T21:00"}


# -- building the network --------------------------------------------------------------------------


def _add_event(space: SpaceNode, event: dict[str, Any]) -> str:
    response = space.client.post("/api/v1/events", json=event, headers=space.auth())
    assert response.status_code == 201, response.get_json()
    return str(response.get_json()["id"])


def _build(net: Network) -> dict[str, str]:
    """Spaces a–c peered in a chain (a only learns c through b); one event each, and a
    cancelled one at c. Returns the event ids by name."""
    for name, profile in SPACES.items():
        net.add(name, **profile)
    net.peer("a", "b")
    net.peer("b", "c")
    ids = {name: _add_event(net[name], event) for name, event in EVENTS.items()}
    ids["cancelled"] = _add_event(net["c"], CANCELLED)
    response = net["c"].client.post(
        f"/api/v1/events/{ids['cancelled']}/cancel",
        json={"reason": "Host is ill"},
        headers=net["c"].auth(),
    )
    assert response.status_code in (200, 204), response.get_json()
    net.settle()
    return ids


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Network, dict[str, str]]]:
    """One settled network shared by the read-only tests (nothing below changes it)."""
    clock = FakeClock()
    with network(tmp_path_factory.mktemp("net"), clock) as net:
        ids = _build(net)
        clock.advance(5 * 60)  # every copy is now five minutes old
        yield net, ids


@pytest.fixture
def net(built: tuple[Network, dict[str, str]]) -> Network:
    return built[0]


@pytest.fixture
def ids(built: tuple[Network, dict[str, str]]) -> dict[str, str]:
    return built[1]


@pytest.fixture
def fresh(tmp_path: Path, clock: FakeClock) -> Iterator[Network]:
    """A network of its own for the tests that change things."""
    with network(tmp_path, clock) as new:
        yield new


def _html(response: Any) -> str:
    return str(response.get_data(as_text=True))


def _jsonld(response: Any) -> Any:
    match = re.search(r'<script type="application/ld\+json">(.*?)</script>', _html(response))
    assert match
    return json.loads(match.group(1))


def _space_names(html: str) -> list[str]:
    """Names of the spaces listed on a /network page, in order."""
    return re.findall(r'<li class="card space">\s*<h2>(?:<a [^>]*>)?([^<]+)', html)


def _event_titles(html: str) -> list[str]:
    """Titles of the events listed on a /network/events page, in order."""
    return re.findall(r'<li class="event[^"]*">\s*<h2>(?:<a [^>]*>)?([^<]+)', html)


# -- /network --------------------------------------------------------------------------------------


def test_network_page_lists_every_space_ours_first_with_origin_and_freshness(net: Network) -> None:
    response = net["a"].client.get("/network")
    assert response.status_code == 200
    assert response.mimetype == "text/html"
    html = _html(response)
    # ours first, then the others by name; c is known only through b (gossip)
    assert _space_names(html) == ["Alveare", "Binario", "Cubicle"]
    for name in "abc":
        assert fingerprint(net[name].id) in html
        assert f'title="{net[name].id}"' in html
        assert f'href="http://{name}.test/"' in html
    assert "Roma, IT" in html and "Milano, IT" in html and "London, GB" in html
    assert "Terrace" in html
    assert html.count("updated 5 min ago") == 3
    # our own space is marked, and listed first on every node
    assert _space_names(_html(net["c"].client.get("/network"))) == [
        "Cubicle",
        "Alveare",
        "Binario",
    ]


def test_network_page_jsonld_is_an_item_list_of_places(net: Network) -> None:
    doc = _jsonld(net["b"].client.get("/network"))
    assert doc["@context"] == "https://schema.org"
    assert doc["@type"] == "ItemList"
    assert doc["numberOfItems"] == 3
    items = [e["item"] for e in doc["itemListElement"]]
    assert [e["position"] for e in doc["itemListElement"]] == [1, 2, 3]
    assert {i["@type"] for i in items} == {"Place"}
    by_name = {i["name"]: i for i in items}
    assert by_name["Alveare"]["url"] == "http://a.test/"
    assert by_name["Alveare"]["address"]["addressLocality"] == "Roma"
    # In short: the amenities and the rest of the Place are on the space's own page.
    assert "amenityFeature" not in by_name["Alveare"]
    assert by_name["Cubicle"]["address"]["addressCountry"] == "GB"


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("city=Milano", ["Binario"]),
        ("city=milano", ["Binario"]),
        ("country=it", ["Alveare", "Binario"]),
        ("country=GB", ["Cubicle"]),
        ("city=Roma&country=GB", []),
    ],
)
def test_network_page_filters(net: Network, query: str, expected: list[str]) -> None:
    response = net["a"].client.get(f"/network?{query}")
    assert response.status_code == 200
    html = _html(response)
    assert _space_names(html) == expected
    if not expected:
        assert "No spaces match these filters." in html


def test_network_page_refuses_a_bad_country_with_a_400_page(net: Network) -> None:
    response = net["a"].client.get("/network?country=Italy")
    assert response.status_code == 400
    assert response.mimetype == "text/html"
    assert "two-letter country code" in _html(response)


# -- /network/events -------------------------------------------------------------------------------


def test_network_events_list_every_origin_with_space_city_origin_and_freshness(
    net: Network, ids: dict[str, str]
) -> None:
    response = net["a"].client.get("/network/events")
    assert response.status_code == 200
    html = _html(response)
    titles = [*(e["title"] for e in EVENTS.values()), CANCELLED["title"]]
    assert _event_titles(html) == titles  # by start time
    for name, city in (("a", "Roma"), ("b", "Milano"), ("c", "London")):
        assert fingerprint(net[name].id) in html
        assert f"{SPACES[name]['title']}</a>, {city}" in html
    # our event links to our page, the others to the page on their own node
    assert f'href="http://a.test/events/{ids["a"]}"' in html
    assert f'href="http://b.test/events/{ids["b"]}"' in html
    assert f'href="http://c.test/events/{ids["c"]}"' in html
    assert html.count("published 5 min ago") == 4
    assert html.count("updated 5 min ago") == 4
    cancelled = re.findall(r'<li class="event cancelled">(.*?)</li>', html, re.S)
    assert len(cancelled) == 1
    assert CANCELLED["title"] in cancelled[0]
    assert '<strong class="badge">Cancelled</strong>' in cancelled[0]
    assert "Host is ill" in cancelled[0]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("city=Roma", ["Aperitivo"]),
        ("city=london", ["Founders meetup", "Cancelled quiz"]),
        ("tag=social", ["Aperitivo", "Founders meetup"]),
        ("from=2026-12-09&to=2026-12-11", ["Design workshop"]),
        ("from=2026-12-11", ["Founders meetup", "Cancelled quiz"]),
        ("tag=social&city=Milano", []),
    ],
)
def test_network_events_filters(net: Network, query: str, expected: list[str]) -> None:
    response = net["b"].client.get(f"/network/events?{query}")
    assert response.status_code == 200
    assert _event_titles(_html(response)) == expected


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("from=2026-13-01", "from: use a date like 2026-12-01"),
        ("to=tomorrow", "to: use a date like 2026-12-31"),
        ("tag=a,b", "tag: one tag at a time"),
        ("from=2026-12-10&to=2026-12-01", "from: the first day is after the last one (to)"),
    ],
)
def test_bad_event_filters_give_a_400_page_with_the_message(
    net: Network, query: str, message: str
) -> None:
    response = net["a"].client.get(f"/network/events?{query}")
    assert response.status_code == 400
    assert response.mimetype == "text/html"
    html = unescape(_html(response))
    assert f"These filters cannot be used: {message}" in html
    assert "Aperitivo" not in html
    ics = net["a"].client.get(f"/network/events.ics?{query}")
    assert ics.status_code == 400
    assert ics.mimetype == "text/html"
    assert message in unescape(_html(ics))


def test_network_events_jsonld(net: Network, ids: dict[str, str]) -> None:
    doc = _jsonld(net["a"].client.get("/network/events"))
    events = {e["name"]: e for e in doc["@graph"]}
    assert set(events) == {*(e["title"] for e in EVENTS.values()), CANCELLED["title"]}
    workshop = events["Design workshop"]
    assert workshop["@type"] == "Event"
    assert workshop["url"] == f"http://b.test/events/{ids['b']}"
    assert workshop["startDate"] == "2026-12-10T10:00:00+01:00"
    assert workshop["location"]["name"] == "Binario"
    assert workshop["location"]["address"]["addressLocality"] == "Milano"
    assert workshop["eventStatus"] == "https://schema.org/EventScheduled"
    assert events["Cancelled quiz"]["eventStatus"] == "https://schema.org/EventCancelled"


# -- /network/events.ics ---------------------------------------------------------------------------


def _vevents(body: bytes) -> dict[str, Any]:
    cal = Calendar.from_ical(body)
    return {str(e["uid"]): e for e in cal.walk("VEVENT")}


def test_network_calendar_parses_with_events_of_every_origin(
    net: Network, ids: dict[str, str]
) -> None:
    response = net["b"].client.get("/network/events.ics")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/calendar; charset=utf-8"
    cal = Calendar.from_ical(response.data)
    vevents = _vevents(response.data)
    expected = {
        event_uid(net["a"].id, ids["a"]),
        event_uid(net["b"].id, ids["b"]),
        event_uid(net["c"].id, ids["c"]),
        event_uid(net["c"].id, ids["cancelled"]),
    }
    assert set(vevents) == expected
    aperitivo = vevents[event_uid(net["a"].id, ids["a"])]
    assert str(aperitivo["summary"]) == "Aperitivo"
    assert str(aperitivo["url"]) == f"http://a.test/events/{ids['a']}"
    assert "Alveare, Roma, IT" in str(aperitivo["location"])
    assert aperitivo.decoded("dtstart") == datetime(2026, 12, 5, 17, 0, tzinfo=UTC)
    assert str(aperitivo["status"]) == "CONFIRMED"
    quiz = vevents[event_uid(net["c"].id, ids["cancelled"])]
    assert str(quiz["status"]) == "CANCELLED"
    assert str(quiz["summary"]).startswith("Cancelled: ")
    assert {str(tz["tzid"]) for tz in cal.walk("VTIMEZONE")} == {"Europe/Rome", "Europe/London"}


def test_network_calendar_uids_are_stable_and_match_the_origins_own_calendar(
    net: Network, ids: dict[str, str]
) -> None:
    first = net["b"].client.get("/network/events.ics")
    again = net["b"].client.get("/network/events.ics")
    elsewhere = net["c"].client.get("/network/events.ics")
    assert set(_vevents(first.data)) == set(_vevents(again.data)) == set(_vevents(elsewhere.data))
    assert first.data == again.data
    # subscribing to a's own calendar and to the network's never doubles a's events
    own = _vevents(net["a"].client.get("/events.ics").data)
    assert event_uid(net["a"].id, ids["a"]) in own
    assert set(own) <= set(_vevents(first.data))


def test_network_calendar_takes_the_page_filters(net: Network, ids: dict[str, str]) -> None:
    response = net["a"].client.get("/network/events.ics?city=London&tag=social")
    assert response.status_code == 200
    assert set(_vevents(response.data)) == {event_uid(net["c"].id, ids["c"])}
    # the page links to the calendar with its filters
    html = _html(net["a"].client.get("/network/events?city=London&tag=social"))
    links = re.findall(r'href="(/network/events\.ics[^"]*)"', html)
    assert len(links) == 1
    link = urlsplit(unescape(links[0]))
    assert parse_qs(link.query) == {"city": ["London"], "tag": ["social"]}
    linked = net["a"].client.get(f"{link.path}?{link.query}")
    assert set(_vevents(linked.data)) == set(_vevents(response.data))


# -- /admin/network --------------------------------------------------------------------------------


def _admin(space: SpaceNode) -> SpaceNode:
    with space.node.db.write() as session:
        create_user(session, EMAIL, PASSWORD)
    space.app.config["WTF_CSRF_ENABLED"] = True
    return space


def _token(space: SpaceNode, path: str) -> str:
    """The CSRF token of the forms on ``path``, as a browser would submit it."""
    response = space.client.get(path)
    assert response.status_code == 200, path
    match = re.search(r'name="csrf_token" value="([^"]+)"', _html(response))
    assert match, path
    return match.group(1)


def _login(space: SpaceNode) -> None:
    token = _token(space, "/admin/login")
    response = space.client.post(
        "/admin/login", data={"email": EMAIL, "password": PASSWORD, "csrf_token": token}
    )
    assert response.status_code == 302


def _submit(space: SpaceNode, action: str, **fields: str) -> Any:
    """Post one of the forms of /admin/network with the page's CSRF token."""
    token = _token(space, "/admin/network")
    return space.client.post(f"/admin/network/{action}", data={**fields, "csrf_token": token})


def _peer_state(space: SpaceNode, peer_id: str) -> str | None:
    with space.node.db.read() as session:
        peer = session.get(Peer, peer_id)
        return peer.state if peer is not None else None


def _mirrored(space: SpaceNode, origin: str) -> tuple[int, int]:
    """(spaces, events) we hold of ``origin``."""
    with space.node.db.read() as session:
        spaces = session.query(Space).filter(Space.origin == origin).count()
        events = session.query(Event).filter(Event.origin == origin).count()
        return spaces, events


def _request_peering(fresh: Network, asking: str, asked: str) -> None:
    node = fresh[asking].node
    joining.request(node, joining.discover(node, fresh[asked].url))


def test_admin_network_needs_a_login(fresh: Network) -> None:
    fresh.add("x")
    fresh.add("y")
    x = _admin(fresh["x"])
    response = x.client.get("/admin/network")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/admin/login?next=/admin/network")
    # a valid CSRF token but no login: nothing is blocked
    _request_peering(fresh, "y", "x")
    before = x.counts()
    token = _token(x, "/admin/login")
    for action, data in (
        ("block", {"node_id": fresh["y"].id, "reason": "spam"}),
        ("approve", {"node_id": fresh["y"].id}),
    ):
        answer = x.client.post(f"/admin/network/{action}", data={**data, "csrf_token": token})
        assert answer.status_code == 302
        assert "/admin/login" in answer.headers["Location"]
    assert x.counts() == before
    assert _peer_state(x, fresh["y"].id) == "pending"


def test_a_pending_request_is_approved_through_the_page(fresh: Network) -> None:
    fresh.add("x", title="Xilo")
    fresh.add("y", title="Yurta", city="Torino")
    x = _admin(fresh["x"])
    _login(x)
    _request_peering(fresh, "y", "x")
    html = _html(x.client.get("/admin/network"))
    requests_part = html[html.index('id="requests-h"') : html.index('id="peers-h"')]
    assert "Yurta" in requests_part
    assert fingerprint(fresh["y"].id) in requests_part
    assert f'name="node_id" value="{fresh["y"].id}"' in requests_part
    assert "Approve" in requests_part and "Reject" in requests_part

    response = _submit(x, "approve", node_id=fresh["y"].id)
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/admin/network")
    assert _peer_state(x, fresh["y"].id) == "active"
    page = _html(x.client.get("/admin/network"))
    assert "it is now an active peer" in page
    assert "No requests waiting." in page
    peers_part = page[page.index('id="peers-h"') : page.index('id="forks-h"')]
    assert fresh["y"].id in peers_part and "http://y.test" in peers_part
    # y learns of the approval through x's outbox, and the two then sync
    fresh.settle()
    assert _peer_state(fresh["y"], fresh["x"].id) == "active"
    assert _mirrored(x, fresh["y"].id)[0] == 1
    # approving again is refused by the peering state machine, with its message on the page
    again = _submit(x, "approve", node_id=fresh["y"].id)
    assert again.status_code == 409
    assert "cannot approve a peer that is active" in _html(again)


def test_a_pending_request_is_rejected_through_the_page(fresh: Network) -> None:
    fresh.add("x")
    fresh.add("y")
    x = _admin(fresh["x"])
    _login(x)
    _request_peering(fresh, "y", "x")
    response = _submit(x, "reject", node_id=fresh["y"].id)
    assert response.status_code == 302
    assert _peer_state(x, fresh["y"].id) == "rejected"
    fresh.deliver()
    assert _peer_state(fresh["y"], fresh["x"].id) == "rejected"


def test_blocking_through_the_form_drops_the_nodes_mirrored_data(fresh: Network) -> None:
    _build(fresh)
    a = _admin(fresh["a"])
    _login(a)
    c_id = fresh["c"].id
    assert _mirrored(a, c_id) == (1, 2)

    response = _submit(a, "block", node_id=c_id, reason="spam events")
    assert response.status_code == 302
    assert _mirrored(a, c_id) == (0, 0)
    with a.node.db.read() as session:
        origin = session.get(Origin, c_id)
        assert origin is not None and origin.status == "blocked"
    assert "Cubicle" not in _html(a.client.get("/network"))
    assert "Founders meetup" not in _html(a.client.get("/network/events"))
    page = _html(a.client.get("/admin/network"))
    blocks_part = page[page.index('id="blocks-h"') :]
    assert c_id in blocks_part and "spam events" in blocks_part and "Unblock" in blocks_part
    # b still relays c, but a refuses it while blocked
    fresh.settle()
    assert _mirrored(a, c_id) == (0, 0)

    response = _submit(a, "unblock", node_id=c_id)
    assert response.status_code == 302
    assert "No blocked nodes." in _html(a.client.get("/admin/network"))
    fresh.settle()
    assert _mirrored(a, c_id) == (1, 2)


@pytest.mark.parametrize(
    ("fields", "status", "message"),
    [
        ({"node_id": "did:web:example.org"}, 422, "is not a node id"),
        ({"node_id": ""}, 422, "is not a node id"),
        ({"node_id": "self"}, 409, "a node cannot block itself"),
        ({"node_id": "other", "reason": "x" * 501}, 422, "reason: at most 500 characters"),
    ],
)
def test_refused_block_shows_the_reason_and_changes_nothing(
    fresh: Network, fields: dict[str, str], status: int, message: str
) -> None:
    x = _admin(fresh.add("x"))
    other = fresh.add("y")
    _login(x)
    node_id = {"self": x.id, "other": other.id}.get(fields["node_id"], fields["node_id"])
    before = x.counts()
    response = _submit(x, "block", **{**fields, "node_id": node_id})
    assert response.status_code == status
    html = unescape(_html(response))
    assert message in html
    assert f'name="node_id" type="text" value="{node_id}"' in html  # what was typed stays
    assert x.counts() == before


def test_unblocking_a_node_that_is_not_blocked_shows_the_reason(fresh: Network) -> None:
    x = _admin(fresh.add("x"))
    _login(x)
    response = _submit(x, "unblock", node_id=fresh.add("y").id)
    assert response.status_code == 404
    assert "is not blocked" in _html(response)


@pytest.mark.parametrize("token", [None, "", "forged.token.value"])
def test_a_forged_csrf_post_is_refused_and_changes_nothing(
    fresh: Network, token: str | None
) -> None:
    _build(fresh)
    a = _admin(fresh["a"])
    _login(a)
    before = a.counts()
    data = {"node_id": fresh["c"].id, "reason": "forged"}
    if token is not None:
        data["csrf_token"] = token
    response = a.client.post("/admin/network/block", data=data)
    assert response.status_code == 400
    assert response.mimetype == "text/html"
    assert "Form refused" in _html(response)
    assert a.counts() == before
    assert _mirrored(a, fresh["c"].id) == (1, 2)


def _fork(space: SpaceNode) -> int:
    """Make ``space`` sign a second, different entry at its head seq; returns that seq."""
    node = space.node
    with node.db.write() as session:
        origin = session.get(Origin, node.node_id)
        assert origin is not None
        last = session.get(FeedEntry, (node.node_id, origin.head_seq))
        assert last is not None
        doc = parse_strict(last.raw)
        # the same entry signed again a millisecond later: another history at the same seq
        forked = build_entry(
            node.key, node.node_id, doc["seq"], doc["prev"], doc["ts"] + 1, doc["type"], doc["body"]
        )
        last.raw, last.hash = forked.raw, forked.hash
        origin.head_hash = forked.hash
        return int(doc["seq"])


def test_admin_network_shows_quarantined_origins_and_peer_health(fresh: Network) -> None:
    fresh.add("x")
    fresh.add("y", title="Yurta")
    fresh.peer("x", "y")
    fresh.settle()
    x = _admin(fresh["x"])
    _login(x)
    y_id = fresh["y"].id
    seq = _fork(fresh["y"])
    report = sync_due(x.node, force=True).reports[y_id]
    assert report.errors[y_id].reason == "fork"
    fresh.clock.advance(120)
    html = _html(x.client.get("/admin/network"))
    forks_part = html[html.index('id="forks-h"') : html.index('id="blocks-h"')]
    assert fingerprint(y_id) in forks_part
    assert f"forked at entry {seq}" in forks_part and "found 2 min ago" in forks_part
    peers_part = html[html.index('id="peers-h"') : html.index('id="forks-h"')]
    assert "Yurta" in peers_part and "quarantined" in peers_part
    assert "<dt>Last sync</dt><dd>2 min ago</dd>" in peers_part
    # In Italian: the peer's state and times in words of the page's language.
    italian = _html(x.client.get("/admin/network?lang=it"))
    peers_it = italian[italian.index('id="peers-h"') : italian.index('id="forks-h"')]
    assert "in quarantena" in peers_it and "2 min fa" in peers_it
    assert "quarantined" not in peers_it and " ago" not in peers_it
    forks_it = italian[italian.index('id="forks-h"') : italian.index('id="blocks-h"')]
    assert "2 min fa" in forks_it and " ago" not in forks_it
    # the dashboard links here
    assert 'href="/admin/network"' in _html(x.client.get("/admin"))
