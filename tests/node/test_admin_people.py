"""The admin web does what the CLI does for members, API tokens and peering invites, with the
same services: members listed, searched, added, edited, suspended (passes revoked), removed;
a token created (its secret shown once), used, listed with its last use, revoked; an invite made
(text and QR code), used by another space and listed as used, an open one withdrawn. Every
refusal is on the page with nothing changed; a desk login opens none of it."""

from __future__ import annotations

import re
from collections.abc import Iterator
from html import unescape
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from node.errors import NodeError
from node.models import AdminToken, Invite, Member
from node.network import invites, joining
from node.services import admin_auth
from node.services.admin_auth import create_user
from node.twinning import passes
from node.twinning.models import GuestPass
from tests.network import Network, network
from tests.node.test_admin_pages import EMAIL, PASSWORD, csrf_token, field_errors
from tests.node.twin_support import add_member, twin
from tests.support import FakeClock, SpaceNode


@pytest.fixture
def net(tmp_path: Path, clock: FakeClock) -> Iterator[Network]:
    """Spaces a (with a logged-in admin) and b, not peered yet."""
    with network(tmp_path, clock) as net:
        net.add("a", title="WeCreate NYC")
        net.add("b", title="The Cube")
        with net["a"].node.db.write() as session:
            create_user(session, EMAIL, PASSWORD)
        net["a"].app.config["WTF_CSRF_ENABLED"] = True
        _login(net["a"])
        yield net


def _login(space: SpaceNode, email: str = EMAIL) -> None:
    token = csrf_token(space.client, "/admin/login")
    done = space.client.post(
        "/admin/login", data={"email": email, "password": PASSWORD, "csrf_token": token}
    )
    assert done.status_code == 302


def _post(space: SpaceNode, form_page: str, action: str, data: dict[str, str]) -> Any:
    """Submit ``data`` to ``action`` with the CSRF token of the form on ``form_page``."""
    token = csrf_token(space.client, form_page)
    return space.client.post(action, data={**data, "csrf_token": token})


def _html(response: Any) -> str:
    return unescape(response.get_data(as_text=True))


def _members(space: SpaceNode) -> list[tuple[str, str, str, bool]]:
    with space.node.db.read() as session:
        rows = session.scalars(select(Member).order_by(Member.id))
        return [(m.name, m.email, m.plan, m.suspended) for m in rows]


# -- members ------------------------------------------------------------------------------------


def test_members_are_added_searched_edited_and_removed_on_the_web(net: Network) -> None:
    a = net["a"]
    member = {"name": "Ada Lovelace", "email": "Ada@Example.org", "plan": "Hot desk"}
    added = _post(a, "/admin/members", "/admin/members", member)
    assert added.status_code == 302 and added.headers["Location"].endswith("/admin/members")
    for name, email in (("Bob 100% Noyce", "bob@example.org"), ("<b>Cy</b>", "cy@example.org")):
        data = {"name": name, "email": email, "plan": ""}
        assert _post(a, "/admin/members", "/admin/members", data).status_code == 302
    assert _members(a)[0] == ("Ada Lovelace", "ada@example.org", "Hot desk", False)

    page = a.client.get("/admin/members").get_data(as_text=True)
    assert "&lt;b&gt;Cy&lt;/b&gt;" in page and "<b>Cy</b>" not in page  # escaped
    found = _html(a.client.get("/admin/members?q=ADA"))
    assert "Ada Lovelace" in found and "Bob" not in found
    percent = _html(a.client.get("/admin/members?q=100%25"))  # a literal %, not a wildcard
    assert "Bob 100% Noyce" in percent and "Ada" not in percent
    assert "No member matches “zzz”." in _html(a.client.get("/admin/members?q=zzz"))

    ada = 1
    edit = f"/admin/members/{ada}/edit"
    changed = {"name": "Ada King", "email": "ada@example.org", "plan": "Fixed desk"}
    assert _post(a, edit, edit, changed).status_code == 302
    assert _members(a)[0] == ("Ada King", "ada@example.org", "Fixed desk", False)

    remove = f"/admin/members/{ada}/remove"
    assert "Remove Ada King?" in _html(a.client.get(remove))
    assert _post(a, remove, remove, {}).status_code == 302
    assert [m[0] for m in _members(a)] == ["Bob 100% Noyce", "<b>Cy</b>"]


def test_member_refusals_show_on_the_page_and_change_nothing(net: Network) -> None:
    a = net["a"]
    ada = {"name": "Ada", "email": "ada@example.org", "plan": ""}
    bob = {"name": "Bob", "email": "bob@example.org", "plan": ""}
    for member in (ada, bob):
        _post(a, "/admin/members", "/admin/members", member)
    before = _members(a)

    bad = _post(a, "/admin/members", "/admin/members", {"name": "", "email": "no", "plan": ""})
    assert bad.status_code == 422
    errors = field_errors(bad)
    assert "name" in errors and "email" in errors  # every mistake at once
    taken = _post(a, "/admin/members", "/admin/members", {**ada, "name": "Ada again"})
    assert taken.status_code == 409 and "exists" in _html(taken)

    edit = "/admin/members/2/edit"
    clash = _post(a, edit, edit, {**bob, "email": "ada@example.org"})
    assert clash.status_code == 409 and "a member with email ada@example.org exists" in _html(clash)
    assert a.client.post("/admin/members/1/suspend").status_code == 400  # no CSRF token
    assert a.client.get("/admin/members/99/edit").status_code == 404
    assert _members(a) == before

    _post(a, "/admin/members", "/admin/members/1/suspend", {})
    again = _post(a, "/admin/members", "/admin/members/1/suspend", {})
    assert again.status_code == 409 and "already suspended" in _html(again)
    unsuspended = _post(a, "/admin/members", "/admin/members/1/unsuspend", {})
    assert unsuspended.status_code == 302
    assert _members(a) == before


def test_suspending_on_the_web_revokes_the_members_guest_passes(net: Network) -> None:
    net.peer("a", "b")
    net.settle()
    twin(net, "a", "b")
    ada = add_member(net, "a")
    with net["a"].node.db.write() as session:
        passes.issue_pass(session, net["a"].node, ada, net["b"].id)
    done = _post(net["a"], "/admin/members", f"/admin/members/{ada}/suspend", {})
    assert done.status_code == 302
    assert "their guest passes are revoked" in _html(net["a"].client.get("/admin/members"))
    with net["a"].node.db.read() as session:
        live = session.scalar(
            select(func.count()).select_from(GuestPass).where(GuestPass.revoked.is_(False))
        )
    assert live == 0 and _members(net["a"])[0][3] is True


# -- API tokens ---------------------------------------------------------------------------------


def test_a_token_is_created_shown_once_used_and_revoked(net: Network) -> None:
    a = net["a"]
    made = _post(a, "/admin/tokens", "/admin/tokens", {"name": "website"})
    assert made.status_code == 201 and made.headers["Cache-Control"] == "no-store"
    secret = re.search(r'id="new-token" type="text" readonly value="([^"]+)"', _html(made))
    assert secret is not None
    token = secret.group(1)
    listing = _html(a.client.get("/admin/tokens"))
    assert token not in listing and "website" in listing and "never used" in listing

    api = a.app.test_client()  # another program, with the token only
    bearer = {"Authorization": f"Bearer {token}"}
    assert api.get("/api/v1/members", headers=bearer).status_code == 200
    assert "last used" in _html(a.client.get("/admin/tokens"))

    with a.node.db.read() as session:
        row_id = session.scalar(select(AdminToken.id).where(AdminToken.name == "website"))
    revoked = _post(a, "/admin/tokens", f"/admin/tokens/{row_id}/revoke", {})
    assert revoked.status_code == 302
    assert api.get("/api/v1/members", headers=bearer).status_code == 401
    assert "Revoked" in _html(a.client.get("/admin/tokens"))


def test_token_refusals(net: Network) -> None:
    a = net["a"]
    with a.node.db.read() as session:
        before = session.scalar(select(func.count()).select_from(AdminToken))
    nameless = _post(a, "/admin/tokens", "/admin/tokens", {"name": "   "})
    assert nameless.status_code == 422 and "name" in field_errors(nameless)
    assert a.client.post("/admin/tokens", data={"name": "x"}).status_code == 400  # no CSRF
    assert _post(a, "/admin/tokens", "/admin/tokens/999/revoke", {}).status_code == 404
    with a.node.db.read() as session:
        assert session.scalar(select(func.count()).select_from(AdminToken)) == before


# -- peering invites ----------------------------------------------------------------------------


def test_an_invite_made_on_the_web_is_used_by_another_space_and_listed(net: Network) -> None:
    a = net["a"]
    made = _post(a, "/admin/network", "/admin/network/invites", {"days": "7"})
    assert made.status_code == 201 and made.headers["Cache-Control"] == "no-store"
    html = _html(made)
    code = re.search(r'<textarea id="new-invite"[^>]*>(spazi-invite:[^<]+)</textarea>', html)
    assert code is not None and '<div class="qr"><svg' in html
    doc = invites.parse_invite(code.group(1))
    assert doc["id"] == a.id and doc["exp"] - int(net.clock()) == 7 * 86400
    assert "open until" in _html(a.client.get("/admin/network"))
    assert code.group(1) not in _html(a.client.get("/admin/network"))  # shown once

    joining.join(net["b"].node, code.group(1))
    listed = _html(a.client.get("/admin/network"))
    assert "used just now by The Cube" in listed and net["b"].id in listed


def test_an_open_invite_is_withdrawn_and_stops_working(net: Network) -> None:
    a = net["a"]
    made = _post(a, "/admin/network", "/admin/network/invites", {"days": "1"})
    code = re.search(r">(spazi-invite:[^<]+)<", _html(made))
    assert code is not None
    with a.node.db.read() as session:
        invite_id = session.scalar(select(Invite.id))
    done = _post(a, "/admin/network", f"/admin/network/invites/{invite_id}/withdraw", {})
    assert done.status_code == 302
    assert "expired" in _html(a.client.get("/admin/network"))
    with pytest.raises(NodeError, match="expired"):
        joining.join(net["b"].node, code.group(1))
    again = _post(a, "/admin/network", f"/admin/network/invites/{invite_id}/withdraw", {})
    assert again.status_code == 302  # an expired invite stays expired; nothing to refuse


def test_invite_refusals(net: Network) -> None:
    a = net["a"]
    odd = _post(a, "/admin/network", "/admin/network/invites", {"days": "365"})
    assert odd.status_code == 422 and "1, 7 or 30 days" in _html(odd)
    assert a.client.post("/admin/network/invites", data={"days": "7"}).status_code == 400
    with a.node.db.read() as session:
        assert session.scalar(select(func.count()).select_from(Invite)) == 0


def test_a_desk_login_opens_none_of_these_pages(net: Network) -> None:
    a = net["a"]
    with a.node.db.write() as session:
        create_user(session, "desk@a.test", PASSWORD, role="desk")
    desk = a.app.test_client()
    token = csrf_token(desk, "/admin/login")
    desk.post(
        "/admin/login", data={"email": "desk@a.test", "password": PASSWORD, "csrf_token": token}
    )
    for path in ("/admin/members", "/admin/members/1/edit", "/admin/tokens", "/admin/network"):
        assert desk.get(path).status_code == 403, path
    nav = _html(desk.get("/admin/desk"))
    assert "/admin/members" not in nav and "/admin/tokens" not in nav


# -- admin users --------------------------------------------------------------------------------


def _temporary(response: Any) -> str:
    found = re.search(r'id="temporary" type="text" readonly value="([^"]+)"', _html(response))
    assert found is not None
    return found.group(1)


def _login_as(space: SpaceNode, email: str, password: str) -> Any:
    client = space.app.test_client()
    token = csrf_token(client, "/admin/login")
    client.post("/admin/login", data={"email": email, "password": password, "csrf_token": token})
    return client


def test_admin_users_are_added_reset_and_removed_on_the_web(net: Network) -> None:
    a = net["a"]
    added = _post(a, "/admin/users", "/admin/users", {"email": "Desk@A.test", "role": "desk"})
    assert added.status_code == 201 and added.headers["Cache-Control"] == "no-store"
    first = _temporary(added)
    assert first not in _html(a.client.get("/admin/users"))  # shown once
    desk = _login_as(a, "desk@a.test", first)
    assert desk.get("/admin/desk").status_code == 200
    assert desk.get("/admin/users").status_code == 403  # a desk login manages nobody

    with a.node.db.read() as session:
        desk_id = next(u.id for u in admin_auth.list_users(session) if u.role == "desk")
    reset = _post(a, "/admin/users", f"/admin/users/{desk_id}/reset", {})
    second = _temporary(reset)
    assert second != first
    assert desk.get("/admin/desk").status_code in (302, 401)  # the reset ended their session
    assert _login_as(a, "desk@a.test", second).get("/admin/desk").status_code == 200

    removed = _post(a, "/admin/users", f"/admin/users/{desk_id}/remove", {})
    assert removed.status_code == 302
    assert "desk@a.test removed" in _html(a.client.get("/admin/users"))  # the flash, once
    assert "desk@a.test" not in _html(a.client.get("/admin/users"))  # and not in the list


def test_admin_user_refusals(net: Network) -> None:
    a = net["a"]
    with a.node.db.read() as session:
        me = admin_auth.find_user(session, EMAIL).id
        before = len(admin_auth.list_users(session))
    itself = _post(a, "/admin/users", f"/admin/users/{me}/remove", {})
    assert itself.status_code == 409 and "cannot remove yourself" in _html(itself)
    bad = _post(a, "/admin/users", "/admin/users", {"email": "nobody", "role": "admin"})
    assert bad.status_code == 422 and "email" in field_errors(bad)
    odd = _post(a, "/admin/users", "/admin/users", {"email": "x@a.test", "role": "root"})
    assert odd.status_code == 422 and "role" in field_errors(odd)
    taken = _post(a, "/admin/users", "/admin/users", {"email": EMAIL, "role": "admin"})
    assert taken.status_code == 409
    assert a.client.post("/admin/users", data={"email": "y@a.test"}).status_code == 400
    assert _post(a, "/admin/users", "/admin/users/9999999999/reset", {}).status_code == 404
    with a.node.db.read() as session:
        assert len(admin_auth.list_users(session)) == before
