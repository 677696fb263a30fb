"""Every public, member and admin page passes axe-core in headless Chromium: no serious or
critical violation at a phone's and a desktop's width, in English and in Italian.

The pages are the demo network's (``spazi demo``, as the README's tour runs it), so they hold what
a real space shows: hours, desks and rooms, events, partners, guest passes, bookings. axe-core
comes from the npm registry; ``.ci/run`` installs it in ``.ci/axe`` (or point ``SPAZI_AXE`` at an
``axe.min.js``). Without Chromium or axe-core the test skips, saying which is missing.
"""

from __future__ import annotations

import base64
import json
import os
import re
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.browser import chromium, require_chromium
from tests.tour.make_tour import CUBE, DESKTOP, NYC, PHONE, DemoNetwork, _log_in, running_demo

pytestmark = pytest.mark.e2e
ROOT = Path(__file__).resolve().parents[2]
AXE_PATHS = (ROOT / ".ci" / "axe" / "node_modules" / "axe-core" / "axe.min.js",)
FAILING_IMPACTS = ("serious", "critical")
LANGUAGES = ("en", "it")


def axe_source() -> str:
    """The axe-core script, or skip the test saying how to install it."""
    chosen = os.environ.get("SPAZI_AXE")
    for path in ((Path(chosen),) if chosen else ()) + AXE_PATHS:
        if path.is_file():
            return path.read_text("utf-8")
    pytest.skip(
        "axe-core is not installed (npm install --prefix .ci/axe axe-core@4, as .ci/run does, "
        "or SPAZI_AXE=path/to/axe.min.js): accessibility check skipped"
    )


@dataclass(frozen=True)
class Page:
    """A page to check: its name and how to find its address on the demo network; ``admin_of``
    names the space whose admin must be logged in."""

    name: str
    where: Callable[[DemoNetwork, Any], str]
    admin_of: str | None = None


def _home(space: str, path: str) -> Callable[[DemoNetwork, Any], str]:
    return lambda network, _driver: network.home(space) + path


def _first_link(space: str, path: str, pattern: str) -> Callable[[DemoNetwork, Any], str]:
    """The first link on ``path`` whose address matches ``pattern`` (an event, an edit form)."""

    def find(network: DemoNetwork, driver: Any) -> str:
        driver.get(network.home(space) + path)
        match = re.search(pattern, driver.page_source)
        assert match, f"{path} links to nothing like {pattern}"
        return network.home(space) + match.group(0).replace("&amp;", "&")

    return find


def _member_page(network: DemoNetwork, _driver: Any) -> str:
    return network.link("guest passes of ")


def _pass_page(network: DemoNetwork, driver: Any) -> str:
    """The page of one pass (the address mailed with it): the first pass the member page
    shows, by the ``jti`` in its token."""
    driver.get(network.link("guest passes of "))
    match = re.search(r"eyJ[\w-]+\.([\w-]+)\.[\w-]+", driver.page_source)
    assert match, "the member page shows a pass"
    payload = match.group(1) + "=" * (-len(match.group(1)) % 4)
    jti = json.loads(base64.urlsafe_b64decode(payload))["jti"]
    return network.home(NYC) + f"/m/pass/{jti}"


PAGES: tuple[Page, ...] = (
    Page("home", _home(CUBE, "/")),
    Page("events", _home(CUBE, "/events")),
    Page("event", _first_link(CUBE, "/events", r"/events/[\w-]+(?=\")")),
    Page("network", _home(NYC, "/network")),
    Page("network events", _home(NYC, "/network/events")),
    Page("events widget", _home(NYC, "/network/embed/events?city=Prato")),
    Page("people", _home(NYC, "/network/people")),
    Page("calls", _home(NYC, "/network/projects")),
    Page("call", _first_link(NYC, "/network/projects", r"/network/projects/[^\"?#]+(?=\")")),
    Page("book", _home(CUBE, "/book")),
    Page("not found", _home(CUBE, "/no-such-page")),
    Page("member", _member_page),
    Page("pass", _pass_page),
    Page("admin login", _home(CUBE, "/admin/login")),
    Page("dashboard", _home(CUBE, "/admin"), CUBE),
    Page("profile", _home(CUBE, "/admin/profile"), CUBE),
    Page("new resource", _home(CUBE, "/admin/resources/new"), CUBE),
    Page("edit resource", _first_link(CUBE, "/admin", r"/admin/resources/[\w-]+/edit"), CUBE),
    Page("remove resource", _first_link(CUBE, "/admin", r"/admin/resources/[\w-]+/remove"), CUBE),
    Page("new event", _home(CUBE, "/admin/events/new"), CUBE),
    Page("edit event", _first_link(CUBE, "/admin", r"/admin/events/[\w-]+/edit"), CUBE),
    Page("cancel event", _first_link(CUBE, "/admin", r"/admin/events/[\w-]+/cancel"), CUBE),
    Page("calendars", _home(CUBE, "/admin/calendars"), CUBE),
    Page("photos", _home(CUBE, "/admin/photos"), CUBE),
    Page("our calls", _home(CUBE, "/admin/projects"), CUBE),
    Page("members", _home(NYC, "/admin/members"), NYC),
    Page("edit member", _first_link(NYC, "/admin/members", r"/admin/members/\d+/edit"), NYC),
    Page("remove member", _first_link(NYC, "/admin/members", r"/admin/members/\d+/remove"), NYC),
    Page("admin network", _home(CUBE, "/admin/network"), CUBE),
    Page("partners", _home(CUBE, "/admin/partners"), CUBE),
    Page("bookings", _home(CUBE, "/admin/bookings"), CUBE),
    Page("reports", _home(CUBE, "/admin/reports"), CUBE),
    Page("joint events", _home(CUBE, "/admin/cohosts"), CUBE),
    Page("tokens", _home(CUBE, "/admin/tokens"), CUBE),
    Page("users", _home(CUBE, "/admin/users"), CUBE),
    Page("password", _home(CUBE, "/admin/password"), CUBE),
    Page("front desk", _home(CUBE, "/admin/desk"), CUBE),
)


def _size(driver: Any, width: int, height: int) -> None:
    driver.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": width < 600},
    )


def _with_language(url: str, language: str) -> str:
    return url + ("&" if "?" in url else "?") + f"lang={language}"


def violations(driver: Any, axe: str) -> list[dict[str, Any]]:
    """axe-core's serious and critical violations on the page the driver shows."""
    # Injected through the driver, not the page: the pages' CSP lets no script of theirs run.
    driver.execute_script(axe)
    found = driver.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "axe.run(document, {resultTypes: ['violations']})"
        ".then(r => done(r.violations), e => done([{id: 'axe-error', impact: 'critical',"
        " help: String(e), nodes: []}]));"
    )
    return [v for v in found if v.get("impact") in FAILING_IMPACTS]


def _described(page: str, width: int, language: str, found: list[dict[str, Any]]) -> str:
    lines = [f"{page} at {width}px in {language}:"]
    for v in found:
        targets = ", ".join(str(n.get("target")) for n in v.get("nodes", [])[:3])
        lines.append(f"  {v['impact']} {v['id']}: {v.get('help')} ({targets})")
    return "\n".join(lines)


@pytest.fixture(scope="module")
def demo() -> Iterator[DemoNetwork]:
    require_chromium()
    axe_source()
    with tempfile.TemporaryDirectory() as tmp, running_demo(Path(tmp)) as network:
        yield network


def test_every_page_passes_axe_at_both_widths_in_both_languages(demo: DemoNetwork) -> None:
    axe = axe_source()
    problems: list[str] = []
    checked = 0
    with chromium() as driver:
        driver.set_script_timeout(60)
        logged_in: str | None = None
        for page in PAGES:
            if page.admin_of and page.admin_of != logged_in:
                # The demo's spaces share 127.0.0.1 and cookies ignore the port: logging in
                # at one space ends the session at the other (tests/tour/make_tour.py).
                _log_in(driver, demo.home(page.admin_of), demo.spaces[page.admin_of])
                logged_in = page.admin_of
            url = page.where(demo, driver)
            for language in LANGUAGES:
                for width, height in (PHONE, DESKTOP):
                    _size(driver, width, height)
                    driver.get(_with_language(url, language))
                    assert f'lang="{language}"' in driver.page_source, (page.name, language)
                    if page.admin_of:  # the admin page itself, not the login it would ask for
                        assert "/admin/login" not in driver.current_url, page.name
                    found = violations(driver, axe)
                    checked += 1
                    if found:
                        problems.append(_described(page.name, width, language, found))
    assert checked == len(PAGES) * len(LANGUAGES) * 2
    assert not problems, "\n".join(problems)
