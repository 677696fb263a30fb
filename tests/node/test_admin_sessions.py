"""Admin login throttling and server-side sessions, on SQLite and PostgreSQL: locks by account and
by address that grow, kept in the database; logout, password changes, logout-everywhere and
removing an admin each end sessions, so a copied cookie stops working."""

from __future__ import annotations

import logging
import re
from typing import Any

import pytest
from flask.testing import FlaskClient

from node import create_app
from node.cli import main
from node.services.admin_auth import create_user
from tests.node.test_admin_pages import EMAIL, PASSWORD, csrf_token
from tests.support import FakeClock, SpaceNode

NEW_PASSWORD = "a much better passphrase"


@pytest.fixture
def admin(space: SpaceNode) -> SpaceNode:
    with space.node.db.write() as session:
        create_user(session, EMAIL, PASSWORD)
    space.app.config["WTF_CSRF_ENABLED"] = True
    return space


def client_at(space: SpaceNode, address: str) -> FlaskClient:
    """A browser at ``address`` (the WSGI REMOTE_ADDR)."""
    client = space.app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


def login(client: FlaskClient, email: str = EMAIL, password: str = PASSWORD) -> Any:
    token = csrf_token(client, "/admin/login")
    return client.post(
        "/admin/login", data={"email": email, "password": password, "csrf_token": token}
    )


def copied(space: SpaceNode, client: FlaskClient) -> FlaskClient:
    """Another browser holding a copy of ``client``'s session cookie."""
    cookie = client.get_cookie("session")
    assert cookie is not None
    thief = space.app.test_client()
    thief.set_cookie("session", cookie.value)
    return thief


def logged_in(client: FlaskClient) -> bool:
    response = client.get("/admin")
    assert response.status_code in (200, 302)
    return response.status_code == 200


# -- throttling ---------------------------------------------------------------------------------


def test_five_failures_lock_the_account_even_for_the_right_password(
    admin: SpaceNode, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    browser = client_at(admin, "198.51.100.7")
    for _ in range(5):
        assert login(browser, EMAIL, "wrong guess 123").status_code == 403
    locked = login(browser)
    assert locked.status_code == 429
    assert locked.headers["Retry-After"] == "60"
    assert "too many attempts, try again in 1 minute" in locked.get_data(as_text=True)
    assert not logged_in(browser)
    # Every worker reads the lock from the database: a second app on the same node agrees.
    other = create_app({"data_dir": str(admin.data_dir), "clock": clock, "TESTING": True})
    try:
        other.config["WTF_CSRF_ENABLED"] = False
        refused = other.test_client().post(
            "/admin/login", data={"email": EMAIL, "password": PASSWORD}
        )
        assert refused.status_code == 429
    finally:
        other.extensions["spazi"].close()
    messages = [r.getMessage() for r in caplog.records if r.name == "node.web.admin_pages"]
    failures = [m for m in messages if "admin login refused" in m]
    assert len(failures) == 5 and all(EMAIL in m for m in failures)
    assert any("locked" in m and EMAIL in m for m in messages)
    assert not any(PASSWORD in m or "wrong guess" in m for m in messages)
    clock.advance(61)
    assert login(browser).status_code == 302
    assert logged_in(browser)


def test_the_lock_grows_with_each_failure_after_it(admin: SpaceNode, clock: FakeClock) -> None:
    browser = client_at(admin, "198.51.100.7")
    for _ in range(5):
        login(browser, EMAIL, "wrong guess 123")
    waits = []
    for _ in range(3):
        response = login(browser, EMAIL, "wrong guess 123")
        assert response.status_code == 429
        wait = int(response.headers["Retry-After"])
        waits.append(wait)
        clock.advance(wait)
        assert login(browser, EMAIL, "wrong guess 123").status_code == 403  # counted again
    assert waits == [60, 120, 240]
    assert "try again in 8 minutes" in login(browser).get_data(as_text=True)


def test_guessing_from_many_addresses_locks_the_account(admin: SpaceNode) -> None:
    for n in range(5):
        login(client_at(admin, f"203.0.113.{n}"), EMAIL, "wrong guess 123")
    assert login(client_at(admin, "203.0.113.99")).status_code == 429


def test_guessing_many_accounts_from_one_address_locks_the_address(admin: SpaceNode) -> None:
    guesser = client_at(admin, "192.0.2.66")
    for n in range(5):
        assert login(guesser, f"nobody{n}@example.org", "wrong guess 123").status_code == 403
    assert login(guesser).status_code == 429
    # The account itself is not locked: the admin logs in from elsewhere.
    assert login(client_at(admin, "198.51.100.7")).status_code == 302


def test_a_good_login_forgets_the_account_failures(admin: SpaceNode) -> None:
    browser = client_at(admin, "198.51.100.7")
    for _ in range(4):
        login(browser, EMAIL, "wrong guess 123")
    assert login(browser).status_code == 302
    browser.post("/admin/logout", data={"csrf_token": csrf_token(browser, "/admin")})
    for _ in range(4):
        assert login(client_at(admin, "198.51.100.8"), EMAIL, "wrong guess 123").status_code == 403
    assert login(client_at(admin, "198.51.100.9")).status_code == 302


# -- sessions -----------------------------------------------------------------------------------


def test_logout_ends_the_session_for_a_copied_cookie_too(admin: SpaceNode) -> None:
    browser = client_at(admin, "198.51.100.7")
    assert login(browser).status_code == 302
    thief = copied(admin, browser)
    assert logged_in(thief)
    browser.post("/admin/logout", data={"csrf_token": csrf_token(browser, "/admin")})
    assert not logged_in(browser)
    assert not logged_in(thief)


def cli(capsys: pytest.CaptureFixture[str], space: SpaceNode, *argv: str) -> tuple[int, str]:
    code = main(["--data-dir", str(space.data_dir), "admin", *argv])
    out, err = capsys.readouterr()
    return code, out + err


def test_spazi_admin_password_changes_it_and_ends_sessions(
    admin: SpaceNode, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    browser = client_at(admin, "198.51.100.7")
    login(browser)
    thief = copied(admin, browser)
    monkeypatch.setenv("SPAZI_ADMIN_PASSWORD", NEW_PASSWORD)
    code, out = cli(capsys, admin, "password", EMAIL)
    assert code == 0 and EMAIL in out and "ended" in out
    assert not logged_in(browser) and not logged_in(thief)
    assert login(client_at(admin, "198.51.100.8")).status_code == 403
    assert login(client_at(admin, "198.51.100.9"), EMAIL, NEW_PASSWORD).status_code == 302
    monkeypatch.setenv("SPAZI_ADMIN_PASSWORD", "short")
    code, out = cli(capsys, admin, "password", EMAIL)
    assert code == 1 and out.count("\n") == 1 and "at least" in out
    monkeypatch.setenv("SPAZI_ADMIN_PASSWORD", NEW_PASSWORD)
    code, out = cli(capsys, admin, "password", "nobody@example.org")
    assert code == 1 and out == "spazi: error: no admin user nobody@example.org\n"


def test_spazi_admin_logout_everywhere_ends_every_session(
    admin: SpaceNode, capsys: pytest.CaptureFixture[str]
) -> None:
    first, second = client_at(admin, "198.51.100.7"), client_at(admin, "198.51.100.8")
    login(first)
    login(second)
    thief = copied(admin, first)
    code, out = cli(capsys, admin, "logout-everywhere", EMAIL)
    assert code == 0 and "2 sessions" in out
    assert not any(logged_in(c) for c in (first, second, thief))
    assert login(first).status_code == 302  # the password still works


def test_log_out_everywhere_else_on_the_web(admin: SpaceNode) -> None:
    here, phone, laptop = (client_at(admin, f"198.51.100.{n}") for n in (7, 8, 9))
    login(here)
    assert "This is your only session." in here.get("/admin/password").get_data(as_text=True)
    login(phone)
    login(laptop)
    thief = copied(admin, phone)
    page = here.get("/admin/password").get_data(as_text=True)
    assert "logged in 2 other times" in page and "Log out everywhere else" in page

    # Without the form's CSRF token nothing ends.
    assert here.post("/admin/logout-elsewhere").status_code == 400
    assert logged_in(phone)

    token = csrf_token(here, "/admin/password")
    done = here.post("/admin/logout-elsewhere", data={"csrf_token": token})
    assert done.status_code == 302 and done.headers["Location"].endswith("/admin/password")
    assert "Your other sessions have ended (2)." in here.get("/admin/password").get_data(
        as_text=True
    )
    assert logged_in(here)
    assert not any(logged_in(c) for c in (phone, laptop, thief))
    # A logged-out browser cannot use it.
    assert phone.post("/admin/logout-elsewhere", data={"csrf_token": token}).status_code in (
        302,
        400,
    )
    assert logged_in(here)


def test_spazi_admin_remove_ends_their_sessions(
    admin: SpaceNode, capsys: pytest.CaptureFixture[str]
) -> None:
    browser = client_at(admin, "198.51.100.7")
    login(browser)
    thief = copied(admin, browser)
    code, out = cli(capsys, admin, "remove", EMAIL)
    assert code == 0 and EMAIL in out
    assert not logged_in(browser) and not logged_in(thief)
    assert login(client_at(admin, "198.51.100.8")).status_code == 403
    code, out = cli(capsys, admin, "remove", EMAIL)
    assert code == 1 and out == f"spazi: error: no admin user {EMAIL}\n"


def change(client: FlaskClient, current: str, new: str, repeat: str) -> Any:
    token = csrf_token(client, "/admin/password")
    return client.post(
        "/admin/password",
        data={"current": current, "new": new, "repeat": repeat, "csrf_token": token},
    )


def test_change_my_password_on_the_web(admin: SpaceNode) -> None:
    browser, elsewhere = client_at(admin, "198.51.100.7"), client_at(admin, "198.51.100.8")
    login(browser)
    login(elsewhere)
    thief = copied(admin, browser)
    dashboard = browser.get("/admin").get_data(as_text=True)
    assert 'href="/admin/password"' in dashboard
    before = admin.counts()
    wrong = change(browser, "not my password", NEW_PASSWORD, NEW_PASSWORD)
    assert wrong.status_code == 422 and "current password is wrong" in wrong.get_data(as_text=True)
    differ = change(browser, PASSWORD, NEW_PASSWORD, NEW_PASSWORD + "!")
    assert differ.status_code == 422 and "differ" in differ.get_data(as_text=True)
    short = change(browser, PASSWORD, "short", "short")
    assert short.status_code == 422 and "at least" in short.get_data(as_text=True)
    assert {k: v for k, v in admin.counts().items() if k != "login_throttle"} == {
        k: v for k, v in before.items() if k != "login_throttle"
    }
    no_csrf = browser.post(
        "/admin/password", data={"current": PASSWORD, "new": NEW_PASSWORD, "repeat": NEW_PASSWORD}
    )
    assert no_csrf.status_code == 400
    done = change(browser, PASSWORD, NEW_PASSWORD, NEW_PASSWORD)
    assert done.status_code == 302
    # This browser stays logged in with a fresh session; every other one ends, and so does a
    # copy of this browser's cookie from before the change.
    assert logged_in(browser)
    assert not logged_in(elsewhere) and not logged_in(thief)
    assert login(client_at(admin, "198.51.100.9"), EMAIL, NEW_PASSWORD).status_code == 302


def test_guessing_the_current_password_is_throttled(admin: SpaceNode) -> None:
    browser = client_at(admin, "198.51.100.7")
    login(browser)
    for _ in range(5):
        assert change(browser, "a guess 1234", NEW_PASSWORD, NEW_PASSWORD).status_code == 422
    locked = change(browser, PASSWORD, NEW_PASSWORD, NEW_PASSWORD)
    assert locked.status_code == 429
    assert re.search(r"too many attempts, try again in \d+ minute", locked.get_data(as_text=True))


# -- behind a proxy -------------------------------------------------------------------------------


def test_the_client_address_comes_from_trusted_proxies_only(
    tmp_path: Any, clock: FakeClock
) -> None:
    """With ``proxy_hops`` the address is the proxy's view of the client; without it a client's
    own X-Forwarded-For is ignored, so a guesser cannot pick a fresh address per try."""
    from tests.support import make_node

    for hops, locked_out in [(0, True), (1, False)]:
        space = make_node(tmp_path, clock=clock, settings={"proxy_hops": hops})
        try:
            space.app.config["WTF_CSRF_ENABLED"] = False
            with space.node.db.write() as session:
                create_user(session, EMAIL, PASSWORD)
            for n in range(5):
                space.client.post(
                    "/admin/login",
                    data={"email": f"nobody{n}@example.org", "password": "wrong guess 123"},
                    headers={"X-Forwarded-For": "192.0.2.66"},
                )
            response = space.client.post(
                "/admin/login",
                data={"email": EMAIL, "password": PASSWORD},
                headers={"X-Forwarded-For": "198.51.100.7"},
            )
            assert (response.status_code == 429) is locked_out, hops
        finally:
            space.close()


def test_nginx_slows_down_login_guessing_and_sets_hsts() -> None:
    from pathlib import Path

    conf = (Path(__file__).resolve().parents[2] / "deploy" / "nginx.conf").read_text()
    login_block = conf[conf.index("location = /admin/login") :]
    login_block = login_block[: login_block.index("}")]
    assert "limit_req zone=spazi_login" in login_block
    assert "limit_req_zone $binary_remote_addr zone=spazi_login" in conf
    assert 'add_header Strict-Transport-Security "max-age=' in conf
