"""Muting: a hostile relay introduces many new origins with spam; the admin hides them.

``b`` is a peer of ``a`` that relays fake spaces ``x…`` (each with a spam event) that only it
peers with. Muting is local presentation: muted origins' spaces and events leave ``/network``,
``/network/events``, its calendar and ``spazi network spaces|events``, but their feeds are still
synced and relayed (``d``, downstream of ``a``, still gets them), unlike blocking.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from federation.keys import NodeKey, fingerprint
from node import published
from node.feedstore import ensure_origin
from node.models import Event, Origin
from node.services.admin_auth import create_user
from tests.cli_network import in_network, run_cli
from tests.network import Network, network
from tests.support import FakeClock, SpaceNode

EMAIL = "hosts@example.org"
PASSWORD = "correct horse battery staple"
FAKES = ("x", "y", "z")
SPAM = {"title": "Cheap pills", "start": "2026-12-10T10:00", "end": "2026-12-10T11:00"}
REAL = {"title": "Founders meetup", "start": "2026-12-11T18:00", "end": "2026-12-11T20:00"}


def _add_event(space: SpaceNode, event: dict[str, Any]) -> str:
    response = space.client.post("/api/v1/events", json=event, headers=space.auth())
    assert response.status_code == 201, response.get_json()
    return str(response.get_json()["id"])


@pytest.fixture
def spam(tmp_path: Path, clock: FakeClock, monkeypatch: pytest.MonkeyPatch) -> Iterator[Network]:
    """a–b, a–c, a–d peered directly; x, y, z peered with b only, each with a spam event."""
    with network(tmp_path, clock) as net:
        net.add("a", title="Alveare")
        net.add("b", title="Binario")
        net.add("c", title="Cubicle")
        net.add("d", title="Darsena")
        for fake in FAKES:
            net.add(fake, title=f"Spam {fake}")
        for other in "bcd":
            net.peer("a", other)
        for fake in FAKES:
            net.peer("b", fake)
            _add_event(net[fake], SPAM)
        _add_event(net["c"], REAL)
        net.settle()
        in_network(net, monkeypatch)
        yield net


def _spaces_page(net: Network) -> str:
    return net["a"].client.get("/network").get_data(as_text=True)


def _events_page(net: Network) -> str:
    response = net["a"].client.get("/network/events?from=2026-12-01")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def _ics(net: Network) -> str:
    response = net["a"].client.get("/network/events.ics?from=2026-12-01")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def _cli_json(capsys: pytest.CaptureFixture[str], net: Network, *argv: str) -> Any:
    code, out, err = run_cli(capsys, net, "a", *argv, "--json")
    assert code == 0, err
    return json.loads(out)


def _shown(capsys: pytest.CaptureFixture[str], net: Network) -> dict[str, set[str]]:
    """What each network view of ``a`` shows: space names and event titles."""
    spaces = {row["name"] for row in _cli_json(capsys, net, "network", "spaces")}
    titles = {row["title"] for row in _cli_json(capsys, net, "network", "events")}
    return {
        "page spaces": set(re.findall(r"Spam [xyz]|Binario|Cubicle", _spaces_page(net))),
        "page events": set(re.findall(r"Cheap pills|Founders meetup", _events_page(net))),
        "ics": set(re.findall(r"Cheap pills|Founders meetup", _ics(net))),
        "cli spaces": spaces & {"Spam x", "Spam y", "Spam z", "Binario", "Cubicle"},
        "cli events": titles,
    }


def _held_events(space: SpaceNode, origin: str) -> int:
    with space.node.db.read() as session:
        return int(
            session.scalar(select(func.count()).select_from(Event).where(Event.origin == origin))
            or 0
        )


ALL_SHOWN = {
    "page spaces": {"Spam x", "Spam y", "Spam z", "Binario", "Cubicle"},
    "page events": {"Cheap pills", "Founders meetup"},
    "ics": {"Cheap pills", "Founders meetup"},
    "cli spaces": {"Spam x", "Spam y", "Spam z", "Binario", "Cubicle"},
    "cli events": {"Cheap pills", "Founders meetup"},
}
SPAM_HIDDEN = {
    "page spaces": {"Binario", "Cubicle"},
    "page events": {"Founders meetup"},
    "ics": {"Founders meetup"},
    "cli spaces": {"Binario", "Cubicle"},
    "cli events": {"Founders meetup"},
}


def test_muting_a_relay_hides_every_origin_it_introduced_but_keeps_syncing_them(
    spam: Network, capsys: pytest.CaptureFixture[str]
) -> None:
    net = spam
    with net["a"].node.db.read() as session:
        introduced = {o.id: o.relayed_by for o in session.scalars(select(Origin))}
    assert all(introduced[net[fake].id] == net["b"].id for fake in FAKES)
    assert _shown(capsys, net) == ALL_SHOWN

    code, out, err = run_cli(capsys, net, "a", "network", "mute", "--relayed-by", net["b"].id)
    assert code == 0, err
    assert "3 origins" in out and "Binario" in out and "still synced and relayed" in out
    assert _shown(capsys, net) == SPAM_HIDDEN

    code, out, _ = run_cli(capsys, net, "a", "network", "muted")
    assert code == 0
    for fake in FAKES:
        assert fingerprint(net[fake].id) in out and f"Spam {fake}" in out
    assert "relayed by Binario" in out
    listed = {row["origin"] for row in _cli_json(capsys, net, "network", "muted")}
    assert listed == {net[fake].id for fake in FAKES}

    # An origin b introduces later is muted too; feeds still sync and are relayed onwards.
    net.add("w", title="Spam w")
    net.peer("b", "w")
    _add_event(net["w"], SPAM)
    _add_event(
        net["x"],
        {**SPAM, "title": "More pills", "start": "2026-12-12T10:00", "end": "2026-12-12T11:00"},
    )
    net.settle()
    assert _shown(capsys, net) == SPAM_HIDDEN
    assert "Spam w" not in _spaces_page(net)
    assert _held_events(net["a"], net["x"].id) == 2
    assert _held_events(net["a"], net["w"].id) == 1
    assert _held_events(net["d"], net["x"].id) == 2  # relayed by a to d
    assert "More pills" in net["d"].client.get("/network/events?from=2026-12-01").get_data(
        as_text=True
    )

    code, out, err = run_cli(capsys, net, "a", "network", "unmute", "--relayed-by", net["b"].id)
    assert code == 0, err
    shown = _shown(capsys, net)
    assert shown["page spaces"] == ALL_SHOWN["page spaces"]
    assert shown["cli events"] == ALL_SHOWN["cli events"] | {"More pills"}
    assert "Spam w" in _spaces_page(net)
    assert "More pills" in _events_page(net)


def test_muting_one_origin_hides_only_it(spam: Network, capsys: pytest.CaptureFixture[str]) -> None:
    net = spam
    code, out, err = run_cli(capsys, net, "a", "network", "mute", net["x"].id)
    assert code == 0, err
    assert "Spam x" in out
    assert "Spam x" not in _spaces_page(net)
    assert "Spam y" in _spaces_page(net) and "Spam z" in _spaces_page(net)
    code, out, _ = run_cli(capsys, net, "a", "network", "mute", net["x"].id)
    assert code == 0 and "already muted" in out
    code, out, err = run_cli(capsys, net, "a", "network", "unmute", net["x"].id)
    assert code == 0, err
    assert "Spam x" in _spaces_page(net)


def test_refused_mutes_are_one_line_errors_and_change_nothing(
    spam: Network, capsys: pytest.CaptureFixture[str]
) -> None:
    net = spam
    before = net["a"].counts()
    stranger = NodeKey.generate().did
    for argv, words in (
        (("mute", net["a"].id), "cannot mute itself"),
        (("mute", "did:key:nonsense"), "is not a node id"),
        (("mute", "--relayed-by", stranger), "spazi peer list"),
        (("mute", "--relayed-by", net["a"].id), "cannot mute itself"),
        (("mute", net["x"].id, "--relayed-by", net["b"].id), "either"),
        (("mute",), "either"),
        (("unmute", net["x"].id), "is not muted"),
        (("unmute", "--relayed-by", net["b"].id), "are not muted"),
    ):
        code, out, err = run_cli(capsys, net, "a", "network", *argv)
        assert code != 0, argv
        assert out == "" and err.count("\n") == 1 and words in err, (argv, err)
        assert "Traceback" not in err
    assert net["a"].counts() == before


# -- the admin page ------------------------------------------------------------------------------


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
    match = re.search(r'name="csrf_token" value="([^"]+)"', space.client.get(path).get_data(True))
    assert match
    return match.group(1)


def _submit(space: SpaceNode, action: str, **fields: str) -> Any:
    token = _token(space, "/admin/network")
    return space.client.post(f"/admin/network/{action}", data={**fields, "csrf_token": token})


def _origins_part(space: SpaceNode) -> str:
    html = space.client.get("/admin/network").get_data(as_text=True)
    return html[html.index('id="origins-h"') : html.index('id="forks-h"')]


def test_the_admin_page_shows_who_introduced_each_origin_and_mutes(spam: Network) -> None:
    net = spam
    a = net["a"]
    _login(a)
    part = _origins_part(a)
    for fake in FAKES:
        row = part[part.index(f"Spam {fake}") :]
        row = row[: row.index("</li>")]
        assert "introduced by" in row and "Binario" in row, row
    cube = part[part.index("Cubicle") :]
    assert "peer" in cube[: cube.index("</li>")]

    response = _submit(a, "mute", relayed_by=net["b"].id)
    assert response.status_code == 302
    page = a.client.get("/admin/network").get_data(as_text=True)
    assert "still synced and relayed" in page
    assert "Spam x" not in _spaces_page(net)
    assert "muted" in _origins_part(a)

    response = _submit(a, "unmute", relayed_by=net["b"].id)
    assert response.status_code == 302
    assert "Spam x" in _spaces_page(net)
    response = _submit(a, "mute", node_id=net["y"].id)
    assert response.status_code == 302
    assert "Spam y" not in _spaces_page(net) and "Spam x" in _spaces_page(net)

    before = a.counts()
    refused = _submit(a, "mute", node_id=a.id)
    assert refused.status_code == 409
    assert "cannot mute itself" in refused.get_data(as_text=True)
    assert a.counts() == before


def test_muting_needs_a_login(spam: Network) -> None:
    a = spam["a"]
    with a.node.db.write() as session:
        create_user(session, EMAIL, PASSWORD)
    a.app.config["WTF_CSRF_ENABLED"] = True
    before = a.counts()
    token = _token(a, "/admin/login")
    response = a.client.post(
        "/admin/network/mute", data={"node_id": spam["x"].id, "csrf_token": token}
    )
    assert response.status_code == 302 and "/admin/login" in response.headers["Location"]
    assert a.counts() == before


# -- the queries, on SQLite and PostgreSQL --------------------------------------------------------


def test_hidden_origins_follow_mutes_on_each_database(space: SpaceNode) -> None:
    from node.network import muting

    relay, fake, other = (NodeKey.generate().did for _ in range(3))
    node = space.node
    with node.db.write() as session:
        ensure_origin(session, relay, node.now(), relayed_by=relay)
        ensure_origin(session, fake, node.now(), relayed_by=relay)
        ensure_origin(session, other, node.now(), relayed_by=None)
        muting.mute(session, node, relay, relayed_by=True)
    with node.db.read() as session:
        assert published.hidden_origins(session) == {fake}
        assert published.query_events(session, visible_only=True) == []
    with node.db.write() as session:
        muting.mute(session, node, other)
        muting.unmute(session, node, relay, relayed_by=True)
    with node.db.read() as session:
        assert published.hidden_origins(session) == {other}
