"""Link previews and search engines: the space and event pages carry a description and
OpenGraph tags (title, when and where, the canonical URL), escaped; ``robots.txt`` keeps crawlers
out of private routes and names ``sitemap.xml``, which lists the space's own pages; the favicon
is served."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from html import unescape
from pathlib import Path

from node.services.events import add_event, cancel_event
from node.services.space import update_profile
from tests.support import FakeClock, SpaceNode, make_node

SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"


def _meta(html: str) -> dict[str, str]:
    found = re.findall(r'<meta (?:name|property)="([\w:]+)" content="([^"]*)">', html)
    return {key: unescape(value) for key, value in found}


def _event(space: SpaceNode, **body: str) -> str:
    data = {"start": "2026-12-20T18:00", "end": "2026-12-20T20:00", **body}
    with space.node.db.write() as session:
        return str(add_event(session, space.node, data)["id"])


def test_an_event_link_previews_its_title_date_and_place(space: SpaceNode) -> None:
    with space.node.db.write() as session:
        update_profile(session, space.node, {"city": "London"})
    event_id = _event(space, title='Demo <night> & "drinks"', description="Bring a laptop.")
    html = space.client.get(f"/events/{event_id}").get_data(as_text=True)
    assert "<night>" not in html.split("</head>")[0]  # escaped in every tag
    meta = _meta(html)
    assert meta["og:title"] == 'Demo <night> & "drinks"'
    when_where = "Sun 20 Dec 2026, 18:00–20:00 · TheCube, London"
    assert meta["og:description"] == f"{when_where}. Bring a laptop."
    assert meta["description"] == meta["og:description"]
    assert meta["og:url"] == f"{space.url}/events/{event_id}"
    assert f'<link rel="canonical" href="{space.url}/events/{event_id}">' in html
    assert meta["og:site_name"] == "TheCube" and meta["twitter:card"] == "summary"

    with space.node.db.write() as session:
        cancel_event(session, space.node, event_id, {"reason": "rain"})
    again = _meta(space.client.get(f"/events/{event_id}").get_data(as_text=True))
    assert again["og:description"].startswith("Cancelled: Sun 20 Dec 2026")


def test_a_long_description_is_cut_at_a_word(space: SpaceNode) -> None:
    words = " ".join(f"word{i}" for i in range(100))
    event_id = _event(space, title="Talk", description=words)
    meta = _meta(space.client.get(f"/events/{event_id}").get_data(as_text=True))
    text = meta["og:description"]
    assert len(text) <= 200 and text.endswith("…")
    assert text[:-1].split()[-1] in words.split()  # no word cut in half


def test_the_home_page_previews_the_space(space: SpaceNode) -> None:
    meta = _meta(space.client.get("/").get_data(as_text=True))
    assert meta["og:title"] == "TheCube"
    assert meta["og:description"] == "A coworking space in the Spazi network: TheCube."
    with space.node.db.write() as session:
        update_profile(session, space.node, {"description": "Desks\nand   rooms by the canal."})
    meta = _meta(space.client.get("/").get_data(as_text=True))
    assert meta["og:description"] == "Desks and rooms by the canal."  # on one line
    assert meta["og:url"] == f"{space.url}/"


def test_robots_keeps_crawlers_out_of_private_routes(space: SpaceNode) -> None:
    robots = space.client.get("/robots.txt")
    assert robots.status_code == 200 and robots.mimetype == "text/plain"
    lines = robots.get_data(as_text=True).splitlines()
    for path in ("/admin", "/api/", "/federation/", "/m/"):
        assert f"Disallow: {path}" in lines
    assert f"Sitemap: {space.url}/sitemap.xml" in lines


def test_the_sitemap_lists_the_spaces_own_pages(tmp_path: Path) -> None:
    clock = FakeClock()
    space = make_node(tmp_path, clock=clock)
    old = _event(space, title="Long ago", start="2025-06-01T18:00", end="2025-06-01T20:00")
    clock.advance(400 * 86400)  # the first event is now more than a year past
    recent = _event(space, title="Soon", start="2028-01-10T18:00", end="2028-01-10T20:00")
    response = space.client.get("/sitemap.xml")
    assert response.status_code == 200 and response.mimetype == "application/xml"
    root = ET.fromstring(response.data)
    urls = [u.findtext(f"{SITEMAP}loc") for u in root.iter(f"{SITEMAP}url")]
    assert urls == [f"{space.url}/", f"{space.url}/events", f"{space.url}/events/{recent}"]
    assert f"/events/{old}" not in response.get_data(as_text=True)
    lastmod = [u.findtext(f"{SITEMAP}lastmod") for u in root.iter(f"{SITEMAP}url")]
    assert re.fullmatch(r"\d{4}-\d\d-\d\d", lastmod[2] or "")


def test_the_favicon(space: SpaceNode) -> None:
    icon = space.client.get("/favicon.ico")
    assert icon.status_code == 301 and icon.headers["Location"].endswith("/static/favicon.svg")
    svg = space.client.get("/static/favicon.svg")
    assert svg.status_code == 200 and svg.mimetype == "image/svg+xml"
    assert '<link rel="icon" type="image/svg+xml"' in space.client.get("/").get_data(as_text=True)
