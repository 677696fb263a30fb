"""Shared helpers of the web pages: rendering with the site's name, absolute links and filters
(the security headers of every response are ``node.http.headers``')."""

from __future__ import annotations

from typing import Any

from flask import Flask, g, render_template, request, url_for
from markupsafe import Markup

from node import published
from node.http.context import node
from node.web import formatting

# Paths served as JSON to machines; everything else is a page for people.
# Routes for programs: their errors are problem+json whoever asks (every other path is a page).
MACHINE_PREFIXES = ("/api/", "/federation/", "/.well-known/", "/healthz", "/readyz", "/metrics")


def is_page_path(path: str) -> bool:
    """True for paths people open in a browser (errors there are HTML pages)."""
    return not path.startswith(MACHINE_PREFIXES)


def site_name() -> str:
    """The space's name for page headers (read once per request)."""
    if "spazi_site_name" not in g:
        current = node()
        try:
            with current.db.read() as session:
                row = published.space(session, current.node_id)
            g.spazi_site_name = row.name if row is not None else "Spazi"
        except Exception:  # an error page must render even when the database is down
            g.spazi_site_name = "Spazi"
    return str(g.spazi_site_name)


def render(template: str, status: int = 200, **context: Any) -> tuple[str, int]:
    """Render ``template`` with the site name available to the layout."""
    context.setdefault("site_name", site_name())
    return render_template(template, **context), status


def absolute_url(endpoint: str, **values: Any) -> str:
    """The public URL of a route under the node's configured base URL (not the request host,
    which a proxy or a visitor may have spelled differently)."""
    path = url_for(endpoint, **values)
    root = request.script_root if request else ""
    if root and path.startswith(root):
        path = path[len(root) :]
    return node().url + path


def safe_href(url: Any) -> str:
    """``url`` if it is an http(s) link, else ``""`` — a link target never runs script."""
    text = str(url or "")
    return text if text.lower().startswith(("https://", "http://")) else ""


def paragraphs(text: str | None) -> Markup:
    """Plain text as escaped ``<p>`` blocks, split at blank lines (line breaks kept by CSS)."""
    if not text:
        return Markup("")
    blocks = [b.strip() for b in text.replace("\r\n", "\n").split("\n\n") if b.strip()]
    return Markup("").join(Markup("<p>{}</p>").format(b) for b in blocks)


def webcal(endpoint: str, **values: Any) -> str:
    """The ``webcal://`` address of a calendar route: a link that opens the calendar app and
    subscribes (it fetches again by itself) rather than downloading the file once. Apps fetch
    it over HTTPS when the node serves HTTPS."""
    url = absolute_url(endpoint, **values)
    return "webcal://" + url.split("://", 1)[1]


def init_app(app: Flask) -> None:
    """Register the template filters and globals on ``app``."""
    app.jinja_env.globals.update(webcal=webcal)
    app.jinja_env.filters.update(
        money=formatting.format_money,
        prices=formatting.resource_prices,
        date=formatting.format_date,
        span=formatting.format_span,
        days=formatting.day_list,
        hours=formatting.hours_label,
        kind=formatting.kind_label,
        href=safe_href,
        paragraphs=paragraphs,
        amenity=formatting.amenity_label,
        address=formatting.address_line,
    )
