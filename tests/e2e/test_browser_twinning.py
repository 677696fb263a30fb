"""The twinning pages in headless Chromium: the front desk admits a guest whose QR code reaches
the page through Chromium's fake camera, and the member's page shows their pass with the node
switched off after the first visit (its service worker)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import segno

from node.services.admin_auth import create_user
from node.twinning import passes
from node.twinning.agreements import Terms
from node.twinning.member_links import member_link
from tests.e2e.browser import chromium, require_chromium, served, y4m_video
from tests.e2e.processes import wait_for
from tests.network import Network, network
from tests.node.twin_support import add_member, add_resources, twin
from tests.support import FakeClock

pytestmark = pytest.mark.e2e

PASSWORD = "correct horse battery staple"


@pytest.fixture
def net(tmp_path: Path, clock: FakeClock) -> Iterator[Network]:
    require_chromium()
    with network(tmp_path, clock) as net:
        net.add("a", title="WeCreate NYC", timezone="America/New_York")
        net.add("b", title="The Cube")
        net.peer("a", "b")
        net.settle()
        twin(net, "a", "b", ours=Terms(2, 10, ("hot_desk",)))
        yield net


def _text(driver, css: str) -> str:  # type: ignore[no-untyped-def]
    """The element's text, or "" while the page has none (or is being replaced: a poll passes
    through navigation, when an element found a moment ago is gone)."""
    from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException
    from selenium.webdriver.common.by import By

    try:
        return str(driver.find_element(By.CSS_SELECTOR, css).text)
    except (NoSuchElementException, StaleElementReferenceException):
        return ""


def test_the_desk_admits_a_guest_shown_to_the_camera(net: Network, tmp_path: Path) -> None:
    from selenium.webdriver.common.by import By

    ada = add_member(net, "a")
    with net["a"].node.db.write() as session:
        token = passes.issue_pass(session, net["a"].node, ada, net["b"].id).token
    png = tmp_path / "pass.png"
    segno.make(token, error="m").save(str(png), scale=4, border=4)
    video = y4m_video(png, tmp_path / "pass.y4m")
    with net["b"].node.db.write() as session:
        create_user(session, "desk@cube.test", PASSWORD, "desk")
    with (
        served(net["b"].app) as site,
        chromium(
            "--use-fake-ui-for-media-stream",
            "--use-fake-device-for-media-stream",
            f"--use-file-for-fake-video-capture={video}",
        ) as driver,
    ):
        driver.get(site.url + "/admin/login")  # type: ignore[attr-defined]
        driver.find_element(By.NAME, "email").send_keys("desk@cube.test")  # type: ignore[attr-defined]
        driver.find_element(By.NAME, "password").send_keys(PASSWORD)  # type: ignore[attr-defined]
        driver.find_element(By.CSS_SELECTOR, "form button[type=submit]").click()  # type: ignore[attr-defined]
        wait_for(
            lambda: driver.current_url,
            "the desk page after login",
            until=lambda u: u.endswith("/admin/desk"),
        )  # type: ignore[attr-defined]
        start = wait_for(
            lambda: driver.find_element(By.ID, "start-camera"),  # type: ignore[attr-defined]
            "the camera button (shown by desk.js)",
            until=lambda button: button.is_displayed(),
        )
        start.click()
        answer = wait_for(
            lambda: _text(driver, "#answer"),
            "the desk's answer to the QR code seen by the camera",
            until=lambda text: "Welcome" in text,
            timeout=30,
        )
    assert "Ada Lovelace" in answer and "Day 1 of 2 this month" in answer


def test_the_member_page_shows_the_pass_offline_after_the_first_visit(net: Network) -> None:
    from selenium.webdriver.common.by import By

    ada = add_member(net, "a")
    with net["a"].node.db.write() as session:
        path = member_link(session, net["a"].node, ada)
        passes.issue_pass(session, net["a"].node, ada, net["b"].id)
    site_cm = served(net["a"].app)
    site = site_cm.__enter__()
    try:
        with chromium() as driver:
            driver.get(site.url + path)  # type: ignore[attr-defined]
            assert "The Cube" in _text(driver, ".pass h3")
            wait_for(
                lambda: driver.execute_script("return !!navigator.serviceWorker.controller"),  # type: ignore[attr-defined]
                "the service worker to take the page",
                timeout=20,
            )
            driver.refresh()  # type: ignore[attr-defined]  # this visit goes through the worker
            assert driver.find_elements(By.CSS_SELECTOR, ".pass .qr svg")  # type: ignore[attr-defined]
            site.stop()  # the network is gone
            time.sleep(0.2)  # let the closed socket settle before the offline visit
            driver.refresh()  # type: ignore[attr-defined]
            wait_for(
                lambda: _text(driver, ".pass h3"),
                "the pass shown offline",
                until=lambda t: "The Cube" in t,
            )
            assert driver.find_elements(By.CSS_SELECTOR, ".pass .qr svg")  # type: ignore[attr-defined]
    finally:
        site_cm.__exit__(None, None, None)


def test_the_member_books_at_the_partner_from_their_page(net: Network) -> None:
    """The pass leaves the member's page for the partner's booking page in a form post (the
    page's policy lets its forms reach that partner), and the booking is made there."""
    from selenium.webdriver.common.by import By

    from node.models import Peer

    ada = add_member(net, "a")
    add_resources(net, "b", ("desks", "hot_desk", "Hot desks", 2))
    net.settle()
    with net["a"].node.db.write() as session:
        path = member_link(session, net["a"].node, ada)
        passes.issue_pass(session, net["a"].node, ada, net["b"].id)
    with served(net["a"].app) as home, served(net["b"].app) as host, chromium() as driver:
        with net["a"].node.db.write() as session:  # where the browser reaches The Cube
            peer = session.get(Peer, net["b"].id)
            assert peer is not None
            peer.url = host.url
        driver.get(home.url + path)  # type: ignore[attr-defined]
        driver.find_element(  # type: ignore[attr-defined]
            By.XPATH, "//button[contains(., 'Book a desk or room at The Cube')]"
        ).click()
        wait_for(
            lambda: _text(driver, "h1"),
            "The Cube's booking page with the pass",
            until=lambda title: title.startswith("Book at"),
        )
        assert driver.current_url == host.url + "/book"  # type: ignore[attr-defined]
        wait_for(
            lambda: _text(driver, "main"),
            "the pass holder's name on the booking form",
            until=lambda text: "Ada Lovelace" in text,
        )
        driver.find_element(By.XPATH, "//button[.='Book']").click()  # type: ignore[attr-defined]
        wait_for(
            lambda: driver.current_url,  # type: ignore[attr-defined]
            "the guest's booking page",
            until=lambda url: "/bookings/" in url,
        )
        page = wait_for(
            lambda: _text(driver, "main"),
            "the booking page's text",
            until=lambda text: "Booked." in text,
        )
        assert "Hot desks" in page
