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
    when it names a space; ``shows`` is what the page's HTML must hold (else the tour fails):
    a name or an element's id, the same in every language."""

    name: str
    captions: tuple[str, str]  # English, Italian
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
    Stop("home", ("A space's home page: listing, hours, desks and rooms, upcoming events",
                  "La pagina di uno spazio: scheda, orari, postazioni e sale, prossimi eventi"),
         lambda n: n.home(CUBE) + "/", "The Cube"),
    Stop("network", ("The network page: every space, grouped by city, on a map, and who twins "
                     "with whom",
                     "La pagina della rete: ogni spazio, per città, su una mappa, e chi è "
                     "gemellato con chi"),
         lambda n: n.home(NYC) + "/network", "Prato"),
    Stop("events-phone", ("Events across the network, on a phone",
                          "Gli eventi di tutta la rete, su un telefono"),
         lambda n: n.home(PRATO) + "/network/events", "Crafts and code", PHONE),
    Stop("pass-phone", ("A member's guest passes, on their phone",
                        "I pass ospite di un socio, sul suo telefono"),
         lambda n: n.link("guest passes of "), "The Cube", PHONE),
    Stop("admin-dashboard", ("The admin's dashboard", "Il pannello dell'amministrazione"),
         lambda n: n.home(CUBE) + "/admin", "The Cube", admin_of=CUBE),
    Stop("admin-event", ("Adding an event", "Aggiungere un evento"),
         lambda n: n.home(CUBE) + "/admin/events/new", 'name="title"', admin_of=CUBE),
    Stop("admin-members", ("Members: add, edit, suspend, search",
                           "Soci: aggiungere, modificare, sospendere, cercare"),
         lambda n: n.home(NYC) + "/admin/members", "Alan Kay", admin_of=NYC),
    Stop("admin-network", ("Peering: an invite code as text and as a QR code to scan",
                           "Collegamenti: un codice d'invito come testo e come codice QR da "
                           "inquadrare"),
         lambda n: n.home(CUBE) + "/admin/network", 'id="new-invite"', admin_of=CUBE,
         act=submit("/admin/network/invites")),
    Stop("admin-users", ("Admin users: invite by e-mail, roles, reset, remove",
                         "Amministratori: invito per e-mail, ruoli, nuova password, rimozione"),
         lambda n: n.home(CUBE) + "/admin/users", "admin@the-cube.example", admin_of=CUBE),
    Stop("admin-tokens", ("API tokens", "Token per l'API"),
         lambda n: n.home(CUBE) + "/admin/tokens", 'id="new-h"', admin_of=CUBE),
    Stop("admin-partners", ("Twinning: partners, agreements and this month's guest days",
                            "Gemellaggi: partner, accordi e giornate ospite del mese"),
         lambda n: n.home(CUBE) + "/admin/partners", "WeCreate NYC", admin_of=CUBE),
    Stop("admin-cohosts", ("Joint events: requests to co-host, confirmed from the admin web",
                           "Eventi congiunti: le richieste di co-organizzare, confermate dal "
                           "pannello"),
         lambda n: n.home(PRATO) + "/admin/cohosts", "Crafts and code", admin_of=PRATO),
    Stop("desk-phone", ("The front desk on a phone: scan a guest pass, today's guests",
                        "La reception su un telefono: inquadrare un pass ospite, gli ospiti di "
                        "oggi"),
         lambda n: n.home(CUBE) + "/admin/desk", 'id="today-h"', PHONE, admin_of=CUBE),
    Stop("admin-bookings", ("Guest bookings of desks and rooms, a week at a time",
                            "Le prenotazioni ospite di postazioni e sale, una settimana alla "
                            "volta"),
         lambda n: n.link("bookings at "), 'id="d-', admin_of=CUBE),
    Stop("people", ("People across the network, found by their skills: each reached through "
                    "their own space",
                    "Le persone della rete, trovate per competenza: ciascuna si contatta "
                    "tramite il proprio spazio"),
         lambda n: n.link("people across the network"), "Giulia Rossi"),
    Stop("profile-phone", ("A member publishes their network profile, with their consent, on "
                           "their phone",
                           "Un socio pubblica il suo profilo nella rete, con il suo consenso, dal "
                           "telefono"),
         lambda n: n.link("network profile of "), 'name="skills"', PHONE),
    Stop("calls-phone", ("Calls for collaboration across the network, on a phone",
                         "Le chiamate a collaborare di tutta la rete, su un telefono"),
         lambda n: n.link("calls for collaboration across"), "Maker week", PHONE),
    Stop("answer-phone", ("A member answers a call from their own page",
                          "Un socio risponde a una chiamata dalla propria pagina"),
         lambda n: n.link("guest passes of ") + "/projects", "Maker week", PHONE),
    Stop("admin-calls", ("A space's calls, their answers, and how many people in the network "
                         "list each skill sought",
                         "Le chiamate di uno spazio, le risposte, e quante persone della rete "
                         "indicano ogni competenza cercata"),
         lambda n: n.link("calls of The Cube"), "/network/people?skill=", admin_of=CUBE),
    Stop("admin-reports", ("Guest days per partner and month, with CSV",
                           "Giornate ospite per partner e mese, con CSV"),
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


LANGUAGES = ("en", "it")


def shot_name(stop: Stop, lang: str) -> str:
    """The file of ``stop``'s screenshot in ``lang``: ``home.png``, ``home.it.png``."""
    return f"{stop.name}.png" if lang == "en" else f"{stop.name}.{lang}.png"


README_START = "<!-- tour: written by tests/tour/make_tour.py --readme; not edited by hand -->"
README_END = "<!-- /tour -->"


def readme_section(stops: tuple[Stop, ...] = STOPS) -> str:
    """The README's pictures: every stop in English, then in Italian under a fold."""

    def pictures(lang: str) -> list[str]:
        lines = []
        for stop in stops:
            caption = stop.captions[LANGUAGES.index(lang)]
            lines += [
                f"**{caption}.**",
                "",
                f"![{caption}](tests/tour/{shot_name(stop, lang)})",
                "",
            ]
        return lines

    return "\n".join(
        [README_START, "", *pictures("en"), "<details><summary>In italiano</summary>", "",
         *pictures("it"), "</details>", "", README_END]
    )  # fmt: skip


def write_readme(readme: Path) -> None:
    """Put :func:`readme_section` between the README's tour markers."""
    text = readme.read_text("utf-8")
    start, end = text.index(README_START), text.index(README_END) + len(README_END)
    readme.write_text(text[:start] + readme_section() + text[end:], "utf-8")


def take_tour(
    out: Path,
    stops: tuple[Stop, ...] = STOPS,
    say: Callable[[str], None] = print,
    langs: tuple[str, ...] = LANGUAGES,
) -> list[Path]:
    """Run the demo and save every stop's screenshot in ``out``, in each of ``langs`` (the
    browser's Accept-Language); returns the files."""
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
        driver.execute_cdp_cmd("Network.enable", {})
        for lang in langs:
            driver.execute_cdp_cmd(
                "Network.setExtraHTTPHeaders", {"headers": {"Accept-Language": lang}}
            )
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
                if f'lang="{lang}"' not in driver.page_source:
                    raise SystemExit(f"{stop.name}: {url} is not in {lang}")
                raw = Path(tmp) / f"{stop.name}.raw.png"
                driver.save_screenshot(str(raw))
                target = out / shot_name(stop, lang)
                _small_png(raw, target)
                saved.append(target)
                say(f"{target.name}  {stop.captions[LANGUAGES.index(lang)]}")
    return saved


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=HERE, help="where the PNGs go")
    parser.add_argument(
        "--lang",
        choices=LANGUAGES,
        action="append",
        help="a language to take the tour in (default: each of them)",
    )
    parser.add_argument(
        "--readme", action="store_true", help="also write the pictures' section of README.md"
    )
    args = parser.parse_args()
    take_tour(args.out, langs=tuple(args.lang or LANGUAGES))
    if args.readme:
        write_readme(HERE.parents[1] / "README.md")
    return 0


if __name__ == "__main__":
    sys.exit(main())
