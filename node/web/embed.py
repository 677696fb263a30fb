"""The events widget other sites embed: ``/network/embed/events?city=…&district=…&lang=…``,
a small HTML document for an ``<iframe>`` on a municipality's or an association's website,
listing the upcoming events of every space in the area (our own and the mirrored ones).

It runs no script and loads nothing: its few lines of CSS are inline and allowed by their hash
alone. Unlike every other page it may be framed by any site (``node.http.headers.EMBED_POLICY``),
its links open in a new tab, and like the other public pages it answers ``If-None-Match``
with 304 and may be read from other origins (ARCHITECTURE.md §Network pages). Dates are
written with Babel in the chosen language, and the widget's few words come from the pages'
catalogue in that language (``?lang=``, not the visitor's cookie or browser: the embedding site
chooses).
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Mapping
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from babel import Locale
from babel.dates import format_datetime
from flask import Blueprint, Response, render_template, request
from flask_babel import force_locale
from markupsafe import Markup

from node.clock import zone
from node.http.context import node
from node.http.headers import embed_policy
from node.http.marks import public_read, remembered
from node.messages import N_, joined
from node.services import network
from node.web import network_pages
from node.web.rendering import absolute_url, site_name

bp = public_read(remembered(Blueprint("network_embed", __name__, url_prefix="/network/embed")))

LANGUAGES = ("en", "it")
DEFAULT_LIMIT = 10
MAX_LIMIT = 50
MAX_PLACE = 100  # characters of ?city= and ?district=, as for the network page's filters

# The whole style of the widget: small, readable on a phone, in the embedding site's font when
# the iframe inherits nothing (it cannot), so a plain system font.
STYLE = Markup(
    "body{margin:0;padding:.5rem;font:15px/1.4 system-ui,sans-serif;color:#1c1f23;"
    "background:#fff}h1{font-size:1.05rem;margin:0 0 .5rem}ul{list-style:none;margin:0;"
    "padding:0}li{padding:.4rem 0;border-bottom:1px solid #d9dde2;overflow-wrap:anywhere}"
    "a{color:#0b5cad}.when{display:block;font-size:.9rem;color:#5b636d}"
    ".where{font-size:.9rem}.error{color:#a4161a}p{margin:.5rem 0}"
)
STYLE_HASH = "sha256-" + base64.b64encode(hashlib.sha256(str(STYLE).encode()).digest()).decode()


def _when(start: str, end: str, timezone: str, lang: str) -> str:
    """An event's start (and end time, or end when on another day) in its own time zone, in
    ``lang``'s words and order."""
    tz = zone(timezone)
    first = datetime.fromisoformat(start).replace(tzinfo=tz)
    last = datetime.fromisoformat(end).replace(tzinfo=tz)
    locale = Locale.parse(lang)
    day = locale.datetime_skeletons["MMMEd"].pattern
    time = locale.time_formats["short"].pattern
    pattern = str(locale.datetime_formats["medium"]).replace("{1}", day).replace("{0}", time)
    text = format_datetime(first, pattern, tzinfo=tz, locale=locale)
    if last.date() == first.date():
        return f"{text}–{format_datetime(last, time, tzinfo=tz, locale=locale)}"
    return f"{text} – {format_datetime(last, pattern, tzinfo=tz, locale=locale)}"


def parse_args(args: Mapping[str, str]) -> tuple[dict[str, Any], list[str]]:
    """The widget's parameters, checked: (values, problems). Problems name the parameter and
    what it takes; with any problem the widget lists nothing. Other parameters are ignored, as
    the network pages ignore them (a site's tracking parameters must not break the widget)."""
    problems: list[str] = []
    lang = (args.get("lang") or "en").strip().lower()
    if lang not in LANGUAGES:
        problems.append(N_("lang: one of %(items)s", items=", ".join(LANGUAGES)))
        lang = "en"
    values: dict[str, Any] = {"lang": lang, "limit": DEFAULT_LIMIT}
    for name in ("city", "district"):
        text = (args.get(name) or "").strip()
        if len(text) > MAX_PLACE:
            problems.append(
                N_("%(name)s: at most %(count)s characters", name=name, count=MAX_PLACE)
            )
        values[name] = text
    raw_limit = (args.get("limit") or "").strip()
    if raw_limit:
        if raw_limit.isascii() and raw_limit.isdigit() and 1 <= int(raw_limit) <= MAX_LIMIT:
            values["limit"] = int(raw_limit)
        else:
            problems.append(N_("limit: a whole number from 1 to %(most)s", most=MAX_LIMIT))
    return values, problems


def _items(values: Mapping[str, Any]) -> list[dict[str, str]]:
    """The upcoming events of the area, soonest first: a fixed number of statements whatever
    the network's size (ARCHITECTURE.md §Network pages)."""
    current = node()
    with current.db.read() as session:
        today = network_pages.our_today(session)
        views = network.event_rows(
            session,
            current,
            start=today,
            city=values["city"] or None,
            district=values["district"] or None,
            include_cancelled=False,
            limit=values["limit"],
        )
    items = []
    for view in views:
        place = ", ".join(p for p in (view["space"], view["district"], view["city"]) if p)
        items.append(
            {
                "title": view["title"],
                "when": _when(view["start"], view["end"], view["timezone"], values["lang"]),
                "start": view["start"],
                "place": place,
                "url": network_pages.event_page_url(view["origin"], view["id"], view["space_url"]),
            }
        )
    return items


def _more_link(values: Mapping[str, Any]) -> str:
    """The network events page for the same area, on this node."""
    query = {k: values[k] for k in ("city", "district") if values[k]}
    url = absolute_url("network_pages.network_events")
    return f"{url}?{urlencode(query)}" if query else url


@bp.get("/events")
def events() -> Response:
    """The upcoming events of a city or district as an HTML document for an iframe; a bad
    parameter is a 400 document naming it (in the chosen language when that one is good)."""
    values, problems = parse_args(request.args)
    place = values["district"] or values["city"]
    items = [] if problems else _items(values)
    with force_locale(values["lang"]):
        body = render_template(
            "network/embed_events.html",
            lang=values["lang"],
            place=place,
            items=items,
            problems=joined(problems),
            more=_more_link(values),
            site_name=site_name(),
            style=STYLE,
        )
    response = Response(body, status=400 if problems else 200, mimetype="text/html")
    response.headers["Content-Security-Policy"] = embed_policy(STYLE_HASH)
    response.headers["Content-Language"] = values["lang"]
    return response
