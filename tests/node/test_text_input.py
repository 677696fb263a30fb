"""The *text* rule at every input surface (protocol.md §Entry types): API, CLI and admin forms
refuse control characters with a clear error and leave stored data untouched, on SQLite and on
PostgreSQL alike (PostgreSQL cannot store NUL at all)."""

from __future__ import annotations

import pytest

from node.cli import main
from node.services.admin_auth import create_user
from tests.node.test_admin_pages import EMAIL, EVENT_FORM, PASSWORD, login, post_form
from tests.support import SpaceNode

EVENT = {"title": "Talk", "start": "2026-12-01T18:00", "end": "2026-12-01T19:00"}


def _refused(response, field: str) -> dict:
    assert response.status_code == 422, response.data
    assert response.mimetype == "application/problem+json"
    doc = response.get_json()
    assert field in str(doc), doc
    return doc


@pytest.mark.parametrize(
    ("method", "path", "body", "field"),
    [
        ("post", "/api/v1/events", {**EVENT, "title": "a\u0000b"}, "title"),
        ("post", "/api/v1/events", {**EVENT, "title": "a\nb"}, "title"),
        ("post", "/api/v1/events", {**EVENT, "description": "a\u0000b"}, "description"),
        ("post", "/api/v1/events", {**EVENT, "description": "a\r\nb"}, "description"),
        ("post", "/api/v1/events", {**EVENT, "tags": ["a\u0085"]}, "tags"),
        ("patch", "/api/v1/space", {"name": "A\nB"}, "name"),
        ("patch", "/api/v1/space", {"city": "Tor\u001bino"}, "city"),
        ("patch", "/api/v1/space", {"address": "Via\tRoma"}, "address"),
        ("post", "/api/v1/resources", {"kind": "office", "name": "\u007f", "capacity": 2}, "name"),
        # Private data is stored too: a member's name must fit the database as well.
        ("post", "/api/v1/members", {"name": "N\u0000", "email": "n@example.com"}, "name"),
    ],
)
def test_api_refuses_control_characters_and_changes_nothing(
    space: SpaceNode, method: str, path: str, body: dict, field: str
) -> None:
    before = space.counts()
    response = getattr(space.client, method)(path, json=body, headers=space.auth())
    _refused(response, field)
    assert space.counts() == before


def test_api_keeps_newlines_and_tabs_in_descriptions(space: SpaceNode) -> None:
    text = "First line\n\tindented\n\nlast"
    response = space.client.post(
        "/api/v1/events", json={**EVENT, "description": text}, headers=space.auth()
    )
    assert response.status_code == 201, response.data
    event_id = response.get_json()["id"]
    assert space.client.get(f"/api/v1/events/{event_id}").get_json()["description"] == text


def test_cli_refuses_control_characters_in_one_line(space: SpaceNode, capsys) -> None:
    before = space.counts()
    argv = [
        "--data-dir",
        str(space.data_dir),
        "event",
        "add",
        "--title",
        "a\u001b[2Jb",
        "--start",
        "2026-12-01T18:00",
        "--end",
        "2026-12-01T19:00",
    ]
    code = main(argv)
    out, err = capsys.readouterr()
    assert code != 0
    assert err.count("\n") == 1 and "Traceback" not in err
    assert "title" in err and "U+001B" in err
    assert "\u001b" not in err + out  # the refused text is never echoed to the terminal
    assert space.counts() == before


def test_admin_form_refuses_control_characters_and_keeps_line_breaks(space: SpaceNode) -> None:
    with space.node.db.write() as session:
        create_user(session, EMAIL, PASSWORD)
    space.app.config["WTF_CSRF_ENABLED"] = True
    login(space)
    before = space.counts()
    response = post_form(space, "/admin/events/new", {**EVENT_FORM, "title": "Open\u0000studio"})
    assert response.status_code == 422
    assert "U+0000" in response.get_data(as_text=True)
    assert space.counts() == before
    # Browsers send a textarea's line breaks as CR LF; the form stores them as LF.
    response = post_form(
        space, "/admin/events/new", {**EVENT_FORM, "description": "One\r\nTwo\r\n\r\nThree"}
    )
    assert response.status_code == 302, response.data
    events = space.client.get("/api/v1/events").get_json()
    assert [e["description"] for e in events["events"]] == ["One\nTwo\n\nThree"]
