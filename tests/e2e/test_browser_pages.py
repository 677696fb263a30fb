"""The space's pages in headless Chromium: the admin does invite → member → token → co-host
without a terminal; a page on another origin reads the calendar through CORS (and cannot read
an admin route); the Atom feed opened in the browser is styled for people."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask

from node.network import joining
from node.services.admin_auth import create_user
from node.services.events import add_event
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
        net.add("a", title="WeCreate NYC")
        net.add("b", title="The Cube")
        with net["a"].node.db.write() as session:
            create_user(session, EMAIL, PASSWORD)
        yield net


def _fill(driver, fields: dict[str, str]) -> None:  # type: ignore[no-untyped-def]
    """Set form fields as typing would (date-time fields take no typed ISO text in Chromium)."""
    from selenium.webdriver.common.by import By

    for name, value in fields.items():
        element = driver.find_element(By.NAME, name)
        driver.execute_script("arguments[0].value = arguments[1];", element, value)


def _submit(driver, button_text: str) -> None:  # type: ignore[no-untyped-def]
    from selenium.webdriver.common.by import By

    driver.find_element(By.XPATH, f"//button[normalize-space()='{button_text}']").click()


def test_the_admin_invites_adds_a_member_makes_a_token_and_a_cohosted_event(
    net: Network,
) -> None:
    from selenium.webdriver.common.by import By

    a = net["a"]
    with served(a.app) as site, chromium() as driver:
        driver.get(site.url + "/admin/login")
        _fill(driver, {"email": EMAIL, "password": PASSWORD})
        _submit(driver, "Log in")
        wait_for(lambda: "/admin/login" not in driver.current_url, "the login")

        driver.get(site.url + "/admin/network")
        _submit(driver, "Make an invite code")
        wait_for(lambda: "A new invite code." in driver.page_source, "the invite code")
        code = driver.find_element(By.ID, "new-invite").get_attribute("value") or ""
        assert code.startswith("spazi-invite:")
        assert driver.find_element(By.CSS_SELECTOR, ".invite .qr svg").size["width"] > 100
        joining.join(net["b"].node, code)  # the other admin uses it
        net.settle()
        driver.get(site.url + "/admin/network")
        assert (
            "used just now by The Cube"
            in driver.find_element(By.ID, "invites-h").find_element(By.XPATH, "..").text
        )

        driver.get(site.url + "/admin/members")
        _fill(driver, {"name": "Ada Lovelace", "email": "ada@example.org"})
        _submit(driver, "Add member")
        wait_for(lambda: "Member added." in driver.page_source, "the member to be added")
        assert "ada@example.org" in driver.find_element(By.CSS_SELECTOR, ".admin-list").text

        driver.get(site.url + "/admin/tokens")
        _fill(driver, {"name": "website"})
        _submit(driver, "Create token")
        wait_for(lambda: "shown only this once" in driver.page_source, "the token")
        token = driver.find_element(By.ID, "new-token").get_attribute("value") or ""
        answer = a.app.test_client().get(
            "/api/v1/members", headers={"Authorization": f"Bearer {token}"}
        )
        assert answer.status_code == 200 and answer.json["members"][0]["name"] == "Ada Lovelace"

        driver.get(site.url + "/admin/events/new")
        price, currency = (driver.find_element(By.ID, f"f-{n}") for n in ("price", "currency"))
        assert abs(price.location["y"] - currency.location["y"]) <= 2  # side by side, level
        _fill(
            driver,
            {
                "title": "Open studio",
                "start": "2026-12-20T18:00",
                "end": "2026-12-20T20:00",
                "cohosts": "The Cube",
            },
        )
        _submit(driver, "Save and publish")
        wait_for(lambda: "Event added and published." in driver.page_source, "the event")
    with a.node.db.read() as session:
        from node import published

        (event,) = [e for e in published.events_between(session, a.id, _epoch()) if e]
    assert event.body["cohosts"] == [net["b"].id]


def _epoch():  # type: ignore[no-untyped-def]
    from datetime import UTC, datetime

    return datetime(2000, 1, 1, tzinfo=UTC)


def test_another_origin_reads_the_calendar_but_not_the_admin_api(net: Network) -> None:
    from selenium.webdriver.common.by import By

    a = net["a"]
    with a.node.db.write() as session:
        add_event(
            session, a.node, {"title": "Open studio", "start": "2026-12-20T18:00",
                              "end": "2026-12-20T20:00"},
        )  # fmt: skip
    website = Flask("website")  # the space's own website, on another origin
    with served(a.app) as node_site, served(website) as other:
        page = f"""<!doctype html><title>Our events</title><pre id="ics">waiting</pre>
<pre id="admin">waiting</pre><script>
fetch("{node_site.url}/events.ics").then(r => r.text())
  .then(t => document.getElementById("ics").textContent = t)
  .catch(e => document.getElementById("ics").textContent = "failed: " + e);
fetch("{node_site.url}/api/v1/members", {{credentials: "include"}}).then(r => r.text())
  .then(t => document.getElementById("admin").textContent = "read: " + t)
  .catch(e => document.getElementById("admin").textContent = "refused");
</script>"""
        website.add_url_rule("/", "index", lambda: page)
        with chromium() as driver:
            # "localhost" and "127.0.0.1" are different origins to the browser.
            driver.get(other.url.replace("127.0.0.1", "localhost") + "/")
            wait_for(
                lambda: (
                    "waiting" not in driver.find_element(By.ID, "ics").text
                    and "waiting" not in driver.find_element(By.ID, "admin").text
                ),
                "both fetches to finish",
            )
            ics = driver.find_element(By.ID, "ics").text
            assert "BEGIN:VCALENDAR" in ics and "SUMMARY:Open studio" in ics
            assert driver.find_element(By.ID, "admin").text == "refused"


def test_the_atom_feed_is_readable_in_a_browser(net: Network) -> None:
    from selenium.webdriver.common.by import By

    a = net["a"]
    with a.node.db.write() as session:
        add_event(
            session, a.node, {"title": "Open studio", "start": "2026-12-20T18:00",
                              "end": "2026-12-20T20:00", "description": "Bring a laptop."},
        )  # fmt: skip
    with served(a.app) as site, chromium() as driver:
        driver.get(site.url + "/feed.atom")
        title = driver.find_element(By.CSS_SELECTOR, "feed > title")
        assert title.value_of_css_property("display") == "block"
        assert (
            driver.find_element(By.CSS_SELECTOR, "feed > id").value_of_css_property("display")
            == "none"
        )
        entry = driver.find_element(By.CSS_SELECTOR, "entry").text
        assert "Open studio" in entry and "Bring a laptop." in entry
        assert not re.search(r"urn:spazi:", entry)  # ids are not shown to people


def test_space_cards_have_no_section_rule_and_filters_line_up(net: Network) -> None:
    from selenium.webdriver.common.by import By

    with served(net["a"].app) as site, chromium("--window-size=1200,900") as driver:
        driver.get(site.url + "/network")
        heading = driver.find_element(By.CSS_SELECTOR, ".card h2")
        assert heading.value_of_css_property("border-bottom-width") == "0px"
        assert heading.value_of_css_property("margin-top") == "0px"
        fields = driver.find_elements(By.CSS_SELECTOR, "form.filters input, form.filters select")
        bottoms = {round(f.location["y"] + f.size["height"]) for f in fields}
        assert len(fields) >= 2 and max(bottoms) - min(bottoms) <= 2  # one line, aligned


ADMIN_PAGES = (
    "/",
    "/events",
    "/network",
    "/network/events",
    "/network/embed/events?lang=it",
    "/admin",
    "/admin/members",
    "/admin/tokens",
    "/admin/users",
    "/admin/network",
    "/admin/partners",
    "/admin/bookings?week=1",
    "/book",
    "/admin/reports",
    "/admin/calendars",
    "/admin/cohosts",
    "/admin/password",
    "/admin/events/new",
)


def test_the_pages_fit_a_phone(net: Network) -> None:
    """The public pages and every admin page at 390 px: nothing wider than the screen, so
    nothing scrolls sideways."""
    from selenium.webdriver.common.by import By

    a = net["a"]
    with a.node.db.write() as session:
        from node.services import members, space

        members.add_member(session, {"name": "Ada Lovelace", "email": "ada@example.org"})
        # A place, so /network draws its map and groups by city and district.
        where = {"city": "Genova", "district": "Sampierdarena e Certosa di Rivarolo"}
        space.update_profile(
            session, a.node, {**where, "latitude_e6": 44_409_000, "longitude_e6": 8_898_000}
        )
    with served(a.app) as site, chromium() as driver:
        driver.get(site.url + "/admin/login")
        _fill(driver, {"email": EMAIL, "password": PASSWORD})
        _submit(driver, "Log in")
        wait_for(lambda: "/admin/login" not in driver.current_url, "the login")
        for path in ADMIN_PAGES:
            driver.get(site.url + path)
            assert driver.find_element(By.TAG_NAME, "h1").text, path
            wide = driver.execute_script(
                "return document.documentElement.scrollWidth - window.innerWidth"
            )
            assert wide <= 0, f"{path} is {wide}px wider than the phone"


def test_another_site_frames_the_events_widget_but_no_other_page(net: Network) -> None:
    """A municipality's page on another origin embeds the widget in an iframe: the browser
    shows it (the events, in Italian), while an iframe of an ordinary page stays empty."""
    from selenium.webdriver.common.by import By

    a = net["a"]
    with a.node.db.write() as session:
        from node.services import space

        space.update_profile(session, a.node, {"city": "Genova"})
        add_event(
            session, a.node, {"title": "Open studio", "start": "2026-12-20T18:00",
                              "end": "2026-12-20T20:00"},
        )  # fmt: skip
    website = Flask("comune")  # the municipality's website, on another origin
    with served(a.app) as node_site, served(website) as other:
        page = f"""<!doctype html><title>Eventi</title>
<iframe id="widget" src="{node_site.url}/network/embed/events?city=Genova&lang=it"></iframe>
<iframe id="page" src="{node_site.url}/network"></iframe>"""
        website.add_url_rule("/", "index", lambda: page)
        with chromium() as driver:
            driver.get(other.url.replace("127.0.0.1", "localhost") + "/")
            driver.switch_to.frame(driver.find_element(By.ID, "widget"))
            wait_for(lambda: "Open studio" in driver.page_source, "the widget in its iframe")
            assert driver.find_element(By.TAG_NAME, "h1").text == "Prossimi eventi a Genova"
            assert "dic" in driver.find_element(By.CSS_SELECTOR, "time").text
            link = driver.find_element(By.LINK_TEXT, "Open studio")
            assert link.get_attribute("target") == "_blank"
            # The inline style applies (its hash is in the policy): no bullets on the list.
            style = driver.find_element(By.TAG_NAME, "ul").value_of_css_property("list-style-type")
            assert style == "none"
            driver.switch_to.default_content()
            driver.switch_to.frame(driver.find_element(By.ID, "page"))
            assert "Spaces in the network" not in driver.page_source  # refused by the browser
