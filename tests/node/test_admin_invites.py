"""Admin users invited by e-mail (a real SMTP server on loopback): the mailed link lets them
choose their own password once, logs them in, and stops working once used, when it expires or
when the user is removed; a reset can be mailed the same way. Without a mail server the page
adds users with a temporary password and the CLI refuses ``--invite`` in one line."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select

from node.models import AdminInvite, AdminUser
from node.services import admin_auth
from tests.cli_network import in_network, run_cli
from tests.mail_server import Inbox, smtp_settings
from tests.network import Network, network
from tests.node.test_admin_pages import csrf_token, logged_in_admin, post_form
from tests.support import FakeClock

NEW = "ines@thecube.example"
CHOSEN = "a long password of my own"


@pytest.fixture
def net(
    tmp_path: Path, clock: FakeClock, smtp: tuple[Inbox, int], monkeypatch: pytest.MonkeyPatch
) -> Iterator[Network]:
    _, port = smtp
    with network(tmp_path, clock, **smtp_settings(port)) as net:
        net.add("a", title="The Cube")
        in_network(net, monkeypatch)
        yield net


def _link(inbox: Inbox, count: int = 1) -> str:
    message = inbox.wait_for(count)[count - 1]
    body = message.get_body(("plain",))
    assert body is not None
    found = re.search(r"http://a\.test(/admin/welcome/[A-Za-z0-9_-]+)", str(body.get_content()))
    assert found is not None
    return found.group(1)


def _post(client: FlaskClient, path: str, data: dict[str, str]) -> Any:
    """A form of the users page (its CSRF token) posted to ``path``."""
    return client.post(path, data={**data, "csrf_token": csrf_token(client, "/admin/users")})


def _choose(client: FlaskClient, path: str, password: str, repeat: str | None = None) -> object:
    return client.post(
        path,
        data={"password": password, "repeat": password if repeat is None else repeat,
              "csrf_token": csrf_token(client, path)},
    )  # fmt: skip


def test_an_invited_admin_chooses_a_password_once(net: Network, smtp: tuple[Inbox, int]) -> None:
    inbox, _ = smtp
    a = net["a"]
    logged_in_admin(a)
    added = post_form(a, "/admin/users", {"email": NEW, "role": "admin", "invite": "1"})
    page = added.get_data(as_text=True)
    assert added.status_code == 201 and f"Invited {NEW}" in page
    assert 'id="temporary"' not in page  # no password to hand over
    (message,) = inbox.wait_for(1)
    assert message["To"] == NEW and "You are invited" in str(message["Subject"])
    path = _link(inbox)
    newcomer = a.app.test_client()
    shown = newcomer.get(path)
    assert shown.status_code == 200 and NEW in shown.get_data(as_text=True)
    differ = _choose(newcomer, path, CHOSEN, "something else entirely")
    assert differ.status_code == 422 and "differ" in differ.get_data(as_text=True)  # type: ignore[attr-defined]
    weak = _choose(newcomer, path, "short")
    assert weak.status_code == 422  # type: ignore[attr-defined]
    done = _choose(newcomer, path, CHOSEN)
    assert done.status_code == 302 and done.headers["Location"].endswith("/admin")  # type: ignore[attr-defined]
    assert newcomer.get("/admin/members").status_code == 200  # logged in
    assert newcomer.get(path).status_code == 404  # used once
    with a.node.db.read() as session:
        assert admin_auth.check_login(session, NEW, CHOSEN).email == NEW
        assert session.scalar(select(func.count()).select_from(AdminInvite)) == 0


def test_an_expired_or_orphaned_link_opens_nothing(net: Network, smtp: tuple[Inbox, int]) -> None:
    inbox, _ = smtp
    a = net["a"]
    logged_in_admin(a)
    post_form(a, "/admin/users", {"email": NEW, "role": "desk", "invite": "1"})
    path = _link(inbox)
    net.clock.advance(admin_auth.INVITE_TTL.total_seconds() + 1)
    assert a.app.test_client().get(path).status_code == 404
    # Invited again (a reset by mail): the new link works, the old one still does not.
    with a.node.db.read() as session:
        user_id = session.scalar(select(AdminUser.id).where(AdminUser.email == NEW))
    reset = _post(a.client, f"/admin/users/{user_id}/reset", {"by_mail": "1"})
    assert "mailed to" in reset.get_data(as_text=True)
    fresh = _link(inbox, 2)
    assert fresh != path and a.app.test_client().get(fresh).status_code == 200
    message = inbox.messages[1]
    assert "Set a new password" in str(message["Subject"])
    # Removed before using it: the link opens nothing.
    _post(a.client, f"/admin/users/{user_id}/remove", {})
    assert a.app.test_client().get(fresh).status_code == 404
    with a.node.db.read() as session:
        assert session.scalar(select(func.count()).select_from(AdminInvite)) == 0


def test_a_desk_user_lands_on_the_desk(net: Network, smtp: tuple[Inbox, int]) -> None:
    inbox, _ = smtp
    logged_in_admin(net["a"])
    post_form(net["a"], "/admin/users", {"email": NEW, "role": "desk", "invite": "1"})
    client = net["a"].app.test_client()
    done = _choose(client, _link(inbox), CHOSEN)
    assert done.headers["Location"].endswith("/admin/desk")  # type: ignore[attr-defined]


def test_the_cli_invites_and_says_so(
    net: Network, smtp: tuple[Inbox, int], capsys: pytest.CaptureFixture[str]
) -> None:
    inbox, _ = smtp
    code, out, err = run_cli(capsys, net, "a", "admin", "create-user", NEW, "--invite")
    assert code == 0, err
    assert f"invited {NEW}" in out and "3 days" in out
    assert inbox.wait_for(1)[0]["To"] == NEW  # sent before the command returned
    code, out, err = run_cli(capsys, net, "a", "admin", "create-user", NEW, "--invite")
    assert code != 0 and err.count("\n") == 1 and "exists" in err


def test_without_mail_users_get_a_temporary_password(
    net: Network, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    a = net["a"]
    a.node.settings["smtp_host"] = ""
    logged_in_admin(a)
    page = a.client.get("/admin/users").get_data(as_text=True)
    assert 'name="invite"' not in page and "invited by e-mail instead" in page
    refused = post_form(a, "/admin/users", {"email": NEW, "role": "admin", "invite": "1"})
    assert refused.status_code == 409 and "smtp_host" in refused.get_data(as_text=True)
    with a.node.db.read() as session:  # nothing stored
        assert session.scalar(select(AdminUser).where(AdminUser.email == NEW)) is None
    added = post_form(a, "/admin/users", {"email": NEW, "role": "admin"})
    assert added.status_code == 201 and 'id="temporary"' in added.get_data(as_text=True)
    monkeypatch.setenv("SPAZI_SMTP_HOST", "")
    code, out, err = run_cli(capsys, net, "a", "admin", "create-user", "x@y.example", "--invite")
    assert code != 0 and out == "" and err.count("\n") == 1 and "smtp_host" in err
