"""Calls for collaboration in headless Chromium: a member of Combo answers Warehouse's call
from their member page, and Warehouse's admin replies on the admin page; the messages travel
between the two in-process spaces through the real inbox and outbox."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from node.projects import service
from node.projects.models import ReceivedAnswer, ReceivedReply
from node.services.admin_auth import create_user
from node.twinning.member_links import member_link
from tests.e2e.browser import chromium, require_chromium, served
from tests.e2e.processes import wait_for
from tests.network import Network, network
from tests.node.twin_support import add_member
from tests.support import FakeClock

pytestmark = pytest.mark.e2e

PASSWORD = "correct horse battery staple"
ADMIN = "admin@warehouse.test"


@pytest.fixture
def net(tmp_path: Path, clock: FakeClock) -> Iterator[Network]:
    require_chromium()
    with network(tmp_path, clock) as net:
        net.add("w", title="Warehouse", city="Fano", timezone="Europe/Rome")
        net.add("c", title="Combo", city="Firenze", timezone="Europe/Rome")
        net.peer("w", "c")
        with net["w"].node.db.write() as session:
            create_user(session, ADMIN, PASSWORD)
            service.add_project(
                session,
                net["w"].node,
                {"id": "manifesti", "title": "Posters <for> the festival",
                 "skills": ["graphic design"], "deadline": "2026-12-20"},
            )  # fmt: skip
        net.settle()
        yield net


def _page(driver) -> str:  # type: ignore[no-untyped-def]
    """The page's source, or "" while it is being replaced (a poll passes through navigation)."""
    from selenium.common.exceptions import WebDriverException

    try:
        return str(driver.page_source)
    except WebDriverException:
        return ""


def test_a_member_answers_and_the_admin_replies(net: Network) -> None:
    from selenium.webdriver.common.by import By

    ada = add_member(net, "c", "Ada <Lovelace>", "ada@combo.test")
    with net["c"].node.db.write() as session:
        link = member_link(session, net["c"].node, ada)
    with chromium() as driver:
        with served(net["c"].app) as combo:
            driver.get(combo.url + link)  # type: ignore[attr-defined]
            driver.find_element(By.LINK_TEXT, "Answer a call").click()  # type: ignore[attr-defined]
            wait_for(lambda: _page(driver), "the calls", until=lambda p: "Posters &lt;for&gt;" in p)
            driver.find_element(By.NAME, "message").send_keys("I draw posters.")  # type: ignore[attr-defined]
            driver.find_element(  # type: ignore[attr-defined]
                By.XPATH, "//button[normalize-space()='Answer the call']"
            ).click()
            wait_for(lambda: _page(driver), "the answer sent", until=lambda p: "Sent:" in p)
            assert "I draw posters." in _page(driver)  # under "Your answers"
        net.deliver()
        with net["w"].node.db.read() as session:
            (answer,) = session.scalars(select(ReceivedAnswer)).all()
        assert answer.name == "Ada <Lovelace>"

        with served(net["w"].app) as warehouse:
            driver.get(warehouse.url + "/admin/login")  # type: ignore[attr-defined]
            driver.find_element(By.NAME, "email").send_keys(ADMIN)  # type: ignore[attr-defined]
            driver.find_element(By.NAME, "password").send_keys(PASSWORD)  # type: ignore[attr-defined]
            driver.find_element(By.CSS_SELECTOR, "form button[type=submit]").click()  # type: ignore[attr-defined]
            wait_for(lambda: driver.current_url, "the login", until=lambda u: "/login" not in u)  # type: ignore[attr-defined]
            driver.get(warehouse.url + "/admin/projects")  # type: ignore[attr-defined]
            assert "Ada &lt;Lovelace&gt;" in _page(driver)
            driver.find_element(By.ID, f"reply-{answer.id}").send_keys("Thursday at ten?")  # type: ignore[attr-defined]
            driver.find_element(By.XPATH, "//button[normalize-space()='Send reply']").click()  # type: ignore[attr-defined]
            wait_for(lambda: _page(driver), "the reply sent", until=lambda p: "Reply sent" in p)
            assert "You replied: Thursday at ten?" in _page(driver)
    net.deliver()
    with net["c"].node.db.read() as session:
        (reply,) = session.scalars(select(ReceivedReply)).all()
    assert reply.message == "Thursday at ten?"
