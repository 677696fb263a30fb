"""The people pages in headless Chromium: a member publishes their profile from their page (the
consent box must be ticked), it shows in the network's people search, and a visitor writes
through the contact form, which mails the member through a real SMTP server."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from node.services.members import add_member
from node.twinning.member_links import member_link
from tests.e2e.browser import chromium, require_chromium, served
from tests.e2e.processes import wait_for
from tests.mail_server import Inbox, smtp_settings
from tests.support import FakeClock, SpaceNode, make_node

pytestmark = pytest.mark.e2e


@pytest.fixture
def prato(tmp_path: Path, smtp: tuple[Inbox, int]) -> Iterator[SpaceNode]:
    require_chromium()
    node = make_node(
        tmp_path,
        name="Prato Hub",
        url="http://prato.test",
        clock=FakeClock(),
        settings=smtp_settings(smtp[1]),
        profile={"city": "Prato"},
    )
    node.app.config["WTF_CSRF_ENABLED"] = True
    try:
        yield node
    finally:
        node.close()


def _text(driver, css: str) -> str:  # type: ignore[no-untyped-def]
    from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException
    from selenium.webdriver.common.by import By

    try:
        return str(driver.find_element(By.CSS_SELECTOR, css).text)
    except (NoSuchElementException, StaleElementReferenceException):
        return ""


def test_member_publishes_and_a_visitor_gets_in_touch(
    prato: SpaceNode, smtp: tuple[Inbox, int]
) -> None:
    from selenium.webdriver.common.by import By

    inbox, _port = smtp
    with prato.node.db.write() as session:
        member = add_member(session, {"name": "Giulia Bianchi", "email": "giulia@example.org"})
        path = member_link(session, prato.node, member.id)
    with served(prato.app) as site, chromium() as driver:
        driver.get(site.url + path)  # type: ignore[attr-defined]
        driver.find_element(By.LINK_TEXT, "Your network profile").click()  # type: ignore[attr-defined]
        wait_for(lambda: _text(driver, "h1"), "the profile form", until=lambda t: "profile" in t)
        driver.find_element(By.ID, "name").send_keys("Giulia Bianchi")  # type: ignore[attr-defined]
        driver.find_element(By.ID, "bio").send_keys("Restauro mobili antichi.")  # type: ignore[attr-defined]
        driver.find_element(By.ID, "skills").send_keys("restauro mobili, doratura")  # type: ignore[attr-defined]
        publish = driver.find_element(By.CSS_SELECTOR, "button[value=publish]")  # type: ignore[attr-defined]
        publish.click()  # the consent box is required: the browser does not send the form
        missing = "return document.getElementById('consent').validity.valueMissing"
        assert driver.execute_script(missing) is True  # type: ignore[attr-defined]
        assert _text(driver, "[role=alert]") == ""
        assert prato.client.get("/api/v1/people").get_json()["total"] == 0
        driver.find_element(By.ID, "consent").click()  # type: ignore[attr-defined]
        driver.find_element(By.CSS_SELECTOR, "button[value=publish]").click()  # type: ignore[attr-defined]
        wait_for(
            lambda: _text(driver, "[role=alert]"),
            "the profile to be published",
            until=lambda t: "published" in t,
        )

        driver.get(site.url + "/network/people?skill=RESTAURO&city=prato")  # type: ignore[attr-defined]
        assert "Giulia Bianchi" in _text(driver, ".person h2")
        link = driver.find_element(By.PARTIAL_LINK_TEXT, "Get in touch")  # type: ignore[attr-defined]
        contact = str(link.get_attribute("href")).replace("http://prato.test", site.url)
        driver.get(contact)  # type: ignore[attr-defined]
        driver.find_element(By.ID, "email").send_keys("architetto@example.org")  # type: ignore[attr-defined]
        driver.find_element(By.ID, "message").send_keys("Restaurate anche tavoli?")  # type: ignore[attr-defined]
        driver.find_element(By.CSS_SELECTOR, "form button[type=submit]").click()  # type: ignore[attr-defined]
        wait_for(
            lambda: _text(driver, "[role=status]"),
            "the message to be sent",
            until=lambda t: "on its way" in t,
        )
    (mail,) = inbox.wait_for(1)
    assert mail["To"] == "giulia@example.org"
    assert "Restaurate anche tavoli?" in mail.get_content()
