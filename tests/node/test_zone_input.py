"""Input surfaces offer and accept only the time zones of protocol v1 (protocol.md §Entry
types, *zone*): the API answers 422, the CLI one line, the admin form lists no other."""

from __future__ import annotations

import re

import pytest

from federation.schema import ZONES
from node.cli import main
from node.services.admin_auth import create_user
from tests.node.test_admin_pages import EMAIL, PASSWORD, login
from tests.support import SpaceNode

EVENT = {"title": "Talk", "start": "2026-12-01T18:00", "end": "2026-12-01T19:00"}


@pytest.mark.parametrize("zone", ["localtime", "posixrules", "right/UTC", "posix/Europe/Rome"])
def test_api_refuses_non_portable_zones(space: SpaceNode, zone: str) -> None:
    before = space.counts()
    for method, path, body in [
        ("patch", "/api/v1/space", {"timezone": zone}),
        ("post", "/api/v1/events", {**EVENT, "timezone": zone}),
    ]:
        response = getattr(space.client, method)(path, json=body, headers=space.auth())
        assert response.status_code == 422, response.data
        assert "timezone" in response.get_json()["detail"] + str(response.get_json())
    assert space.counts() == before


def test_cli_refuses_a_non_portable_zone(space: SpaceNode, capsys) -> None:
    before = space.counts()
    code = main(["--data-dir", str(space.data_dir), "space", "set", "--timezone", "localtime"])
    _, err = capsys.readouterr()
    assert code != 0 and err.count("\n") == 1 and "timezone" in err
    assert space.counts() == before


def test_admin_profile_form_offers_exactly_the_protocol_zones(space: SpaceNode) -> None:
    with space.node.db.write() as session:
        create_user(session, EMAIL, PASSWORD)
    login(space)
    html = space.client.get("/admin/profile").get_data(as_text=True)
    offered = set(re.findall(r'<option value="([^"]*)"', html))
    assert "localtime" not in offered
    assert offered >= ZONES and not offered - ZONES - {""}
