"""The README's tour: screenshots of the demo network in headless Chromium.

Run from the repository root: ``.venv/bin/python tests/tour/make_tour.py [--out tests/tour]``

It starts ``spazi demo`` (the README's first command) in a child process, opens each stop of
:data:`STOPS` in the distribution's headless Chromium at a phone's or a desktop's width, logged in
as the space's admin where the stop is an admin page, and saves one PNG per stop (the viewport,
reduced to a palette so the repository stays small). The README shows them;
tests/e2e/test_tour.py runs the same tour into a temporary directory, so a page the tour visits
cannot break without a failing test. The file name does not match ``test_*.py``.
"""

from __future__ import annotations

import argparse
import signal
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # run as a plain script

from tests.e2e.demo_run import Demo, free_base, printed_spaces, printed_tour

PHONE = (390, 844)
DESKTOP = (1280, 860)
HERE = Path(__file__).resolve().parent


@dataclass(frozen=True)
class DemoNetwork:
    """Where the running demo said to look: its spaces (home, admin login) and tour links."""

    spaces: dict[str, dict[str, str]]
    tour: dict[str, str]

    def home(self, space: str) -> str:
        return self.spaces[space]["home"].rstrip("/")

    def link(self, label_start: str) -> str:
        return next(url for label, url in self.tour.items() if label.startswith(label_start))


@dataclass(frozen=True)
class Stop:
    """One screenshot: ``name``.png of ``where(network)`` at ``size``, as ``admin_of``'s admin
    when it names a space; ``shows`` is a text the page must hold (else the tour fails)."""

    name: str
    caption: str
    where: Callable[[DemoNetwork], str]
    shows: str
    size: tuple[int, int] = DESKTOP
    admin_of: str | None = None
    act: Callable[[Any], None] | None = None  # what a person does on the page first


def submit(action: str) -> Callable[[Any], None]:
    """Press the submit button of the page's form posting to a URL ending in ``action``."""

    def press(driver: Any) -> None:
        from selenium.webdriver.common.by import By

        form = driver.find_element(By.CSS_SELECTOR, f'form[action$="{action}"]')
        form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()

    return press


CUBE, NYC, PRATO = "The Cube", "WeCreate NYC", "Prato Hub"

STOPS: tuple[Stop, ...] = (
    Stop("home", "A space's home page: listing, hours, desks and rooms, upcoming events",
         lambda n: n.home(CUBE) + "/", "The Cube"),
    Stop("network", "The network page: every space, grouped by city, on a map, and who twins "
         "with whom", lambda n: n.home(NYC) + "/network", "Prato"),
    Stop("events-phone", "Events across the network, on a phone",
         lambda n: n.home(PRATO) + "/network/events", "Crafts and code", PHONE),
    Stop("pass-phone", "A member's guest passes, on their phone",
         lambda n: n.link("guest passes of "), "The Cube", PHONE),
    Stop("admin-dashboard", "The admin's dashboard", lambda n: n.home(CUBE) + "/admin",
         "The Cube", admin_of=CUBE),
    Stop("admin-event", "Adding an event", lambda n: n.home(CUBE) + "/admin/events/new",
         "Title", admin_of=CUBE),
    Stop("admin-members", "Members: add, edit, suspend, search",
         lambda n: n.home(NYC) + "/admin/members", "Alan Kay", admin_of=NYC),
    Stop("admin-network", "Peering: an invite code as text and as a QR code to scan",
         lambda n: n.home(CUBE) + "/admin/network", "A new invite code", admin_of=CUBE,
         act=submit("/admin/network/invites")),
    Stop("admin-users", "Admin users: invite by e-mail, roles, reset, remove",
         lambda n: n.home(CUBE) + "/admin/users", "admin@the-cube.example", admin_of=CUBE),
    Stop("admin-tokens", "API tokens", lambda n: n.home(CUBE) + "/admin/tokens", "token",
         admin_of=CUBE),
    Stop("admin-partners", "Twinning: partners, agreements and this month's guest days",
         lambda n: n.home(CUBE) + "/admin/partners", "WeCreate NYC", admin_of=CUBE),
    Stop("admin-cohosts", "Joint events: requests to co-host, confirmed from the admin web",
         lambda n: n.home(PRATO) + "/admin/cohosts", "Crafts and code", admin_of=PRATO),
    Stop("desk-phone", "The front desk on a phone: scan a guest pass, today's guests",
         lambda n: n.home(CUBE) + "/admin/desk", "Today", PHONE, admin_of=CUBE),
    Stop("admin-bookings", "Guest bookings of desks and rooms",
         lambda n: n.home(CUBE) + "/admin/bookings", "Booking", admin_of=CUBE),
    Stop("admin-reports", "Guest days per partner and month, with CSV",
         lambda n: n.home(CUBE) + "/admin/reports", "WeCreate NYC", admin_of=CUBE),
)  # fmt: skip


@contextmanager
def running_demo(workdir: Path) -> Iterator[DemoNetwork]:
    """``spazi demo`` on free ports until the block ends (then Ctrl-C, as a person would)."""
    base = free_base(3)
    demo = Demo("--port", str(base), cwd=workdir)
    try:
        demo.wait_for_err("runs until Ctrl-C", timeout=300)
        yield DemoNetwork(printed_spaces(demo.out), printed_tour(demo.out))
    finally:
        demo.process.send_signal(signal.SIGINT)
        demo.process.wait(timeout=60)


def _log_in(driver: Any, home: str, login: dict[str, str]) -> None:
    from selenium.webdriver.common.by import By

    driver.get(home + "/admin/login")
    driver.find_element(By.ID, "f-email").send_keys(login["login"])
    driver.find_element(By.ID, "f-password").send_keys(login["password"])
    driver.find_element(By.CSS_SELECTOR, "form button[type=submit]").click()
    deadline = time.monotonic() + 20
    while "/admin/login" in driver.current_url:
        if time.monotonic() > deadline:
            raise SystemExit(f"could not log in at {home}: {driver.page_source[:300]}")
        time.sleep(0.1)


def _settle(driver: Any, text: str, timeout: float = 20) -> None:
    """Wait until the page the action led to shows ``text`` (a page being replaced reads as
    not yet)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if text in driver.page_source:
                return
        except Exception:  # the old page went away while it was being read
            pass
        time.sleep(0.1)


def _small_png(raw: Path, out: Path) -> None:
    """The screenshot with a 128-colour palette: a third of the bytes, text still crisp."""
    from PIL import Image

    with Image.open(raw) as image:
        image.convert("RGB").quantize(colors=128).save(out, optimize=True)


def take_tour(
    out: Path, stops: tuple[Stop, ...] = STOPS, say: Callable[[str], None] = print
) -> list[Path]:
    """Run the demo and save every stop's screenshot in ``out``; returns the files."""
    from tests.e2e.browser import chromium

    out.mkdir(parents=True, exist_ok=True)
    saved = []
    with (
        tempfile.TemporaryDirectory() as tmp,
        running_demo(Path(tmp)) as network,
        chromium() as driver,
    ):
        # The demo's spaces share the host 127.0.0.1, and cookies ignore the port: logging in
        # at one space ends the session at the one before, so log in again on each change.
        logged_in: str | None = None
        for stop in stops:
            width, height = stop.size
            driver.execute_cdp_cmd(
                "Emulation.setDeviceMetricsOverride",
                {"width": width, "height": height, "deviceScaleFactor": 1,
                 "mobile": width < 600},
            )  # fmt: skip
            if stop.admin_of and stop.admin_of != logged_in:
                _log_in(driver, network.home(stop.admin_of), network.spaces[stop.admin_of])
                logged_in = stop.admin_of
            url = stop.where(network)
            driver.get(url)
            if stop.act is not None:
                stop.act(driver)
                _settle(driver, stop.shows)
            if stop.shows not in driver.page_source:
                raise SystemExit(f"{stop.name}: {url} does not show {stop.shows!r}")
            raw = Path(tmp) / f"{stop.name}.raw.png"
            driver.save_screenshot(str(raw))
            _small_png(raw, out / f"{stop.name}.png")
            saved.append(out / f"{stop.name}.png")
            say(f"{stop.name}.png  {stop.caption}")
    return saved


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=HERE, help="where the PNGs go")
    args = parser.parse_args()
    take_tour(args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
