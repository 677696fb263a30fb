"""What a link preview and a search engine read: the description and OpenGraph tags of the
space and event pages, the favicon, ``robots.txt`` and ``sitemap.xml``.

A link to an event shared in a chat shows its title, its date and the place; a link to the space
shows its name, city and description. ``robots.txt`` keeps crawlers out of the admin pages, the
API, the federation endpoints and the members' secret pages (``/m/``), and names the sitemap,
which lists the space's own public pages (other spaces' pages are theirs to list).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from xml.sax.saxutils import escape

from flask import Blueprint, Response, redirect, url_for
from werkzeug.wrappers import Response as BaseResponse

from node import published
from node.http.context import node
from node.http.marks import etagged
from node.web.rendering import absolute_url

bp = etagged(Blueprint("sharing", __name__))

DESCRIPTION_CHARS = 200  # what previews show; the rest is on the page
SITEMAP_PAST_DAYS = 365  # past events stay findable for a year
SITEMAP_EVENTS = 5000  # well under the protocol's 50,000 URLs per sitemap


def shorten(text: str, limit: int = DESCRIPTION_CHARS) -> str:
    """``text`` on one line, cut at a word before ``limit`` characters with an ellipsis."""
    flat = " ".join(str(text or "").split())
    if len(flat) <= limit:
        return flat
    cut = flat[: limit - 1].rsplit(" ", 1)[0]
    return cut.rstrip(",.;:") + "…"


def place_line(profile: dict[str, Any]) -> str:
    """The space and where it is: ``The Cube, London``."""
    return ", ".join(part for part in (profile.get("name"), profile.get("city")) if part)


def space_preview(profile: dict[str, Any], url: str) -> dict[str, str]:
    """The preview of the space's home page."""
    description = (
        profile.get("description")
        or f"A coworking space in the Spazi network: {place_line(profile)}."
    )
    return {
        "title": profile["name"],
        "description": shorten(description),
        "type": "website",
        "url": url,
    }


def event_preview(
    title: str, when: str, profile: dict[str, Any], description: str, url: str, cancelled: bool
) -> dict[str, str]:
    """The preview of an event page: the title, then when and where, then the description."""
    lead = f"{'Cancelled: ' if cancelled else ''}{when} · {place_line(profile)}"
    return {
        "title": title,
        "description": shorten(f"{lead}. {description}" if description else lead),
        "type": "website",
        "url": url,
    }


@bp.get("/robots.txt")
def robots() -> Response:
    """Public pages may be crawled; private and machine routes may not."""
    lines = ["User-agent: *"]
    lines += [f"Disallow: {path}" for path in ("/admin", "/api/", "/federation/", "/m/")]
    lines += ["Allow: /", "", f"Sitemap: {absolute_url('sharing.sitemap')}", ""]
    return Response("\n".join(lines), mimetype="text/plain")


@bp.get("/sitemap.xml")
def sitemap() -> Response:
    """The home page, the events page and each event of the space from a year back on."""
    current = node()
    since = datetime.fromtimestamp(current.now_ms() / 1000, UTC) - timedelta(days=SITEMAP_PAST_DAYS)
    with current.db.read() as session:
        rows = published.events_between(session, current.node_id, since, limit=SITEMAP_EVENTS)
        entries = [
            (
                absolute_url("pages.event", event_id=row.id),
                datetime.fromtimestamp(row.ts / 1000, UTC),
            )
            for row in rows
        ]
    urls = [(absolute_url("pages.home"), None), (absolute_url("pages.event_list"), None), *entries]
    body = ['<?xml version="1.0" encoding="UTF-8"?>']
    body.append('<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">')
    for loc, modified in urls:
        lastmod = f"<lastmod>{modified:%Y-%m-%d}</lastmod>" if modified else ""
        body.append(f"<url><loc>{escape(loc)}</loc>{lastmod}</url>")
    body.append("</urlset>")
    return Response("\n".join(body) + "\n", mimetype="application/xml")


@bp.get("/favicon.ico")
def favicon() -> BaseResponse:
    """Browsers ask for ``/favicon.ico`` whatever the page says: they are sent to the icon."""
    response = redirect(icon_url(), code=301)
    response.headers["Cache-Control"] = "public, max-age=86400"
    return response


def icon_url() -> str:
    """The icon's URL for ``<link rel="icon">``."""
    return url_for("static", filename="favicon.svg")
