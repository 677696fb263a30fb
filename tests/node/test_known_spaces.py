"""Naming a partner or a co-host: by id, URL or name, among the nodes this one knows (the
twinning partner on every surface; co-hosts on the event form and the CLI)."""

from __future__ import annotations

from collections.abc import Iterator
from html import unescape
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from node.errors import Conflict, InvalidInput, NotFound
from node.models import Event
from node.services import events
from node.services.known_spaces import known_spaces, resolve_partner
from tests.cli_network import in_network, run_cli
from tests.network import Network
from tests.node.test_admin_pages import csrf_token, field_errors, logged_in_admin
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


# -- co-hosts, named the same way ---------------------------------------------------------------


def _admin(net: Network) -> Any:
    """a's admin, logged in, with CSRF checks on."""
    return logged_in_admin(net["a"])


EVENT_FORM = {
    "title": "Open studio",
    "start": "2026-12-20T18:00",
    "end": "2026-12-20T20:00",
    "timezone": "Europe/London",
    "description": "",
    "capacity": "",
    "tags": "",
    "price": "",
    "currency": "",
    "url": "",
}


def _event_id(net: Network, title: str) -> str:
    with net["a"].node.db.read() as session:
        rows = session.scalars(select(Event).where(Event.origin == net["a"].id))
        return next(row.id for row in rows if row.body["title"] == title)


def _cohosts(net: Network, title: str) -> list[str]:
    event_id = _event_id(net, title)
    with net["a"].node.db.read() as session:
        return list(events.get_event(session, net["a"].id, event_id).body.get("cohosts") or [])


def test_cohosts_are_picked_by_name_on_the_event_form(net: Network) -> None:
    client = _admin(net)
    new = client.get("/admin/events/new").get_data(as_text=True)
    assert "Known: The Cube, Prato Hub." in unescape(new)  # peers first, then by name
    token = csrf_token(client, "/admin/events/new")
    form = {**EVENT_FORM, "cohosts": "the cube\nhttp://c.test", "csrf_token": token}
    done = client.post("/admin/events/new", data=form)
    assert done.status_code == 302
    assert _cohosts(net, "Open studio") == [net["b"].id, net["c"].id]
    edit_page = f"/admin/events/{_event_id(net, 'Open studio')}/edit"
    edit = unescape(client.get(edit_page).get_data(as_text=True))
    assert ">The Cube\nPrato Hub</textarea>" in edit  # names again, not ids


def test_an_unknown_cohost_is_shown_at_the_field_and_nothing_is_published(net: Network) -> None:
    client = _admin(net)
    before = net["a"].counts()
    token = csrf_token(client, "/admin/events/new")
    form = {**EVENT_FORM, "cohosts": "The Cube\nNowhere Hub", "csrf_token": token}
    refused = client.post("/admin/events/new", data=form)
    assert refused.status_code == 422
    assert "no known space is 'Nowhere Hub'" in field_errors(refused)["cohosts"]
    assert net["a"].counts() == before


def test_the_cli_takes_cohosts_by_name(
    net: Network, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    in_network(net, monkeypatch)
    code, _, err = run_cli(
        capsys, net, "a", "event", "add", "--title", "Talk", "--start", "2026-12-21T18:00",
        "--end", "2026-12-21T19:00", "--cohost", "Prato Hub", "--cohost", net["b"].id,
    )  # fmt: skip
    assert code == 0, err
    assert _cohosts(net, "Talk") == [net["c"].id, net["b"].id]
    talk = _event_id(net, "Talk")
    code, _, err = run_cli(capsys, net, "a", "event", "update", talk, "--cohost", "Nowhere")
    assert code == 1 and "no known space is 'Nowhere'" in err and err.count("\n") == 1
