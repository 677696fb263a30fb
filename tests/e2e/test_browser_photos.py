"""Photos in headless Chromium at a phone's width: the admin uploads one through the form, the
space page shows it from its srcset without scrolling sideways, and a peer's network page shows
it once fetched and checked."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image

from node.photos import fetching
from node.services.admin_auth import create_user
from tests.e2e.browser import chromium, require_chromium, served
from tests.e2e.processes import wait_for
from tests.network import Network, network
from tests.support import FakeClock

pytestmark = pytest.mark.e2e

EMAIL, PASSWORD = "admin@a.test", "correct horse battery staple"


@pytest.fixture
def net(tmp_path: Path, clock: FakeClock) -> Iterator[Network]:
    require_chromium()
    with network(tmp_path, clock) as net:
        net.chain("ab")
        with net["a"].node.db.write() as session:
            create_user(session, EMAIL, PASSWORD)
        yield net


def _fits(driver) -> int:  # type: ignore[no-untyped-def]
    return int(
        driver.execute_script("return document.documentElement.scrollWidth - window.innerWidth")
    )


def test_an_uploaded_photo_shows_on_a_phone_here_and_at_a_peer(
    net: Network, tmp_path: Path
) -> None:
    from selenium.webdriver.common.by import By

    photo = tmp_path / "room.png"
    Image.new("RGB", (2400, 1600), "teal").save(photo, "PNG")
    with served(net["a"].app) as site, chromium() as driver:
        driver.get(site.url + "/admin/login")
        for name, value in (("email", EMAIL), ("password", PASSWORD)):
            driver.find_element(By.NAME, name).send_keys(value)
        driver.find_element(By.XPATH, "//button[normalize-space()='Log in']").click()
        wait_for(lambda: "/admin/login" not in driver.current_url, "the login")
        driver.get(site.url + "/admin/photos")
        assert _fits(driver) <= 0
        driver.find_element(By.NAME, "photo").send_keys(str(photo))
        driver.find_element(By.NAME, "alt").send_keys("Twelve desks by the windows")
        driver.find_element(By.XPATH, "//button[normalize-space()='Upload and publish']").click()
        wait_for(lambda: "Photo 1 added" in driver.page_source, "the upload to be published")
        driver.get(site.url + "/")
        image = driver.find_element(By.CSS_SELECTOR, "ul.photos img")
        assert image.get_attribute("alt") == "Twelve desks by the windows"
        wait_for(
            lambda: driver.execute_script(
                "return arguments[0].complete && arguments[0].naturalWidth", image
            ),
            "the photo to load",
        )
        # At 390 CSS pixels the browser picks a narrow file from the srcset, not the widest.
        widths = {
            url.rsplit("/", 1)[-1]: int(width.rstrip("w"))
            for url, width in (c.split() for c in image.get_attribute("srcset").split(", "))
        }
        chosen = driver.execute_script("return arguments[0].currentSrc", image).rsplit("/", 1)[-1]
        assert widths[chosen] in (480, 960), (chosen, widths)
        assert image.size["width"] <= driver.execute_script("return window.innerWidth")
        assert _fits(driver) <= 0

    net.settle()
    fetching.fetch_due(net["b"].node)
    with served(net["b"].app) as site, chromium() as driver:
        driver.get(site.url + "/network")
        cover = driver.find_element(By.CSS_SELECTOR, "img.cover")
        assert cover.get_attribute("alt") == "Twelve desks by the windows"
        wait_for(
            lambda: driver.execute_script(
                "return arguments[0].complete && arguments[0].naturalWidth", cover
            ),
            "the peer's copy to load",
        )
        assert _fits(driver) <= 0
