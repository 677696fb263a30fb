"""The space's events as an Atom 1.0 feed (RFC 4287) for feed readers: ``/feed.atom``.

Written with ``xml.etree`` so every text and attribute is escaped by the serializer. Entry ids are
``urn:spazi:<node fingerprint>:event:<event id>``: stable across edits, key rotation and a
change of the node's URL, which is what readers use to tell an update from a new item.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import quote

from flask import Blueprint, Response, request, url_for
from werkzeug.wrappers import Response as BaseResponse

from federation.keys import fingerprint
from node import published
from node.http.context import node
from node.http.headers import FEED_POLICY
from node.http.marks import public_read, remembered
from node.models import Event
from node.services import network, space
from node.version import __version__
from node.web.formatting import format_span, rfc3339_ms
from node.web.rendering import absolute_url

bp = public_read(Blueprint("atom", __name__))

ATOM_NS = "http://www.w3.org/2005/Atom"
ATOM_MIMETYPE = "application/atom+xml"
MAX_ENTRIES = 50
SUMMARY_CHARS = 1000
# Characters XML 1.0 cannot carry at all (even escaped). Entries are *text* (protocol.md §Entry
# types), which holds none of them; this stays as a guard for anything else shown here.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _text(value: str) -> str:
    return _NOT_XML.sub("\ufffd", value)


def _sub(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
    element = ET.SubElement(parent, tag, {k: _text(v) for k, v in attrs.items()})
    if text is not None:
        element.text = _text(text)
    return element


def feed_id(node_id: str) -> str:
    return f"urn:spazi:{fingerprint(node_id)}:events"


def entry_id(node_id: str, event_id: str) -> str:
    return f"urn:spazi:{fingerprint(node_id)}:event:{event_id}"


def _summary(row: Event) -> str:
    body = row.body
    lines = [f"{format_span(body['start'], body['end'])} ({body['timezone']})"]
    if row.cancelled:
        lines.append("Cancelled." + (f" {row.cancel_reason}" if row.cancel_reason else ""))
    description = body.get("description") or ""
    if len(description) > SUMMARY_CHARS:
        description = description[:SUMMARY_CHARS].rstrip() + "…"
    if description:
        lines.append(description)
    return "\n\n".join(lines)


@dataclass(frozen=True)
class FeedHead:
    """What a feed says about itself."""

    id: str
    title: str
    subtitle: str
    self_url: str
    page_url: str  # the HTML page of the same list
    author: str
    author_url: str


def build_feed(
    head: FeedHead,
    updated_ms: int,
    rows: list[Event],
    link: Callable[[Event], str],
    author: Callable[[Event], str | None] = lambda _row: None,
) -> bytes:
    """The Atom document for ``rows`` (newest change first); ``link`` gives each event's page,
    ``author`` its space when the feed holds several (None: the feed's author)."""
    # Plain names under a default namespace declared on the root: Atom's attributes are
    # unqualified, which ElementTree's default_namespace option cannot express.
    root = ET.Element("feed", {"xmlns": ATOM_NS})
    _sub(root, "id", head.id)
    _sub(root, "title", head.title)
    if head.subtitle:
        _sub(root, "subtitle", head.subtitle[:SUMMARY_CHARS])
    newest = max([updated_ms, *(r.ts for r in rows)])
    _sub(root, "updated", rfc3339_ms(newest))
    _sub(root, "link", rel="self", type=ATOM_MIMETYPE, href=head.self_url)
    _sub(root, "link", rel="alternate", type="text/html", href=head.page_url)
    feed_author = _sub(root, "author")
    _sub(feed_author, "name", head.author)
    _sub(feed_author, "uri", head.author_url)
    _sub(root, "generator", "Spazi", version=__version__)
    for row in rows:
        entry = _sub(root, "entry")
        _sub(entry, "id", entry_id(row.origin, row.id))
        _sub(entry, "title", ("Cancelled: " if row.cancelled else "") + row.body["title"])
        _sub(entry, "updated", rfc3339_ms(row.ts))
        page = link(row)
        if page:
            _sub(entry, "link", rel="alternate", type="text/html", href=page)
        name = author(row)
        if name:
            _sub(_sub(entry, "author"), "name", name)
        _sub(entry, "summary", _summary(row), type="text")
        for tag in row.body.get("tags", []):
            _sub(entry, "category", term=tag)
    # A browser that opens the feed shows it styled (node/static/atom.css); readers ignore it.
    stylesheet = (
        f'<?xml-stylesheet type="text/css" href="{url_for("static", filename="atom.css")}"?>'
    )
    document = ET.tostring(root, encoding="unicode")
    return f'<?xml version="1.0" encoding="utf-8"?>\n{stylesheet}\n{document}'.encode()


def feed_response(data: bytes) -> BaseResponse:
    """An Atom document as an answer, conditional on its ETag."""
    # A browser opening the link asks for HTML first: it gets the same document as generic XML,
    # which browsers display with its stylesheet (as Atom they show the raw text). Feed readers
    # ask for Atom or anything, and get Atom.
    browser = request.accept_mimetypes.best_match([ATOM_MIMETYPE, "text/html"]) == "text/html"
    mimetype = "application/xml" if browser else ATOM_MIMETYPE
    response = Response(data, mimetype=mimetype)
    response.headers["Content-Type"] = f"{mimetype}; charset=utf-8"
    response.vary.add("Accept")
    response.headers["Content-Security-Policy"] = FEED_POLICY
    response.add_etag()
    return response.make_conditional(request)


@bp.get("/feed.atom")
def feed() -> BaseResponse:
    """The space's most recently changed events and those it co-hosts, newest change
    first."""
    current = node()
    with current.db.read() as session:
        profile = space.get_profile(session, current.node_id)
        row = published.space(session, current.node_id)
        updated = row.ts if row is not None else 0
        rows = published.recently_changed_events(
            session, current.node_id, MAX_ENTRIES, cohosted=True
        )
        others = {r.origin for r in rows if r.origin != current.node_id}
        names = published.space_names(session, others)
        urls = network.node_urls(session, current, others)
    head = FeedHead(
        id=feed_id(current.node_id),
        title=f"{profile['name']}: events",
        subtitle=profile.get("description") or "",
        self_url=absolute_url("atom.feed"),
        page_url=absolute_url("pages.event_list"),
        author=profile["name"],
        author_url=absolute_url("pages.home"),
    )

    def link(row: Event) -> str:
        if row.origin == current.node_id:
            return absolute_url("pages.event", event_id=row.id)
        return network.event_page(urls.get(row.origin, ""), row.id)

    # An event we co-host keeps its author's entry id and names its author's space.
    data = build_feed(head, updated, rows, link, lambda r: names.get(r.origin))
    return feed_response(data)


@bp.get("/network/feed.atom")
@remembered
def network_feed() -> BaseResponse:
    """The most recently changed events across the network (muted, blocked and quarantined
    origins left out, as on the network pages), each linked to its own space's page."""
    current = node()
    with current.db.read() as session:
        profile = space.get_profile(session, current.node_id)
        rows = published.recently_changed_events(session, None, MAX_ENTRIES)
        origins = {r.origin for r in rows}
        names = published.space_names(session, origins)
        urls = network.node_urls(session, current, origins)

    def link(row: Event) -> str:
        if row.origin == current.node_id:
            return absolute_url("pages.event", event_id=row.id)
        base = urls.get(row.origin, "")
        return f"{base}/events/{quote(row.id, safe='')}" if base else ""

    head = FeedHead(
        id=f"urn:spazi:{fingerprint(current.node_id)}:network-events",
        title=f"Events across the network ({profile['name']})",
        subtitle="Every space this node knows in the Spazi network.",
        self_url=absolute_url("atom.network_feed"),
        page_url=absolute_url("network_pages.network_events"),
        author=profile["name"],
        author_url=absolute_url("pages.home"),
    )
    data = build_feed(head, 0, rows, link, lambda r: names.get(r.origin))
    return feed_response(data)
