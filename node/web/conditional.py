"""Conditional GET for the public pages and the JSON API's reads: each answer carries an ETag
of its body, and a request whose ``If-None-Match`` names it gets ``304 Not Modified`` with no
body. Calendars and Atom feeds do the same in their own views (node/web/calendar.py,
node/web/atom.py), so a calendar app or feed reader polling every few minutes, a website
reading the API, and a phone reloading a page move headers only when nothing changed
(ARCHITECTURE.md §Network pages).

Admin pages are left out: they are private and carry a CSRF token, and must never be cached.
"""

from __future__ import annotations

import hashlib

from flask import Flask, g, request
from werkzeug.wrappers import Response

from node import published
from node.http.context import node
from node.http.marks import ETAGGED, REMEMBERED, marked
from node.lru import LRU

# Which answers are conditional is declared where each blueprint or view is defined
# (node/http/marks.py): a feature's pages need no edit here.

# The network's pages, calendar and feed: the costliest reads at a thousand spaces, polled by
# calendar apps and feed readers. Their ETags are remembered per (address, request's language
# and cookies, network version, time slot), so an If-None-Match that names the remembered ETag
# is answered 304 after two small statements, without rendering (ARCHITECTURE.md §Network
# pages). The HTML pages say "5 min ago": their slot is a minute, so a remembered ETag is
# trusted for a minute at most; the calendar and feed change with the day only, and a slot of
# a quarter of an hour meets every time zone's midnight.
HTML_SLOT = 60  # seconds
DOCUMENT_SLOT = 900
KEPT = 1024  # ETags kept, least recently used out


_REMEMBERED: LRU[str] = LRU(KEPT)


def _remembered_route() -> bool:
    return request.method in ("GET", "HEAD") and marked(REMEMBERED)


def _key() -> str:
    """What the answer to this request depends on: address, language and cookies, the
    network's version (read now, before rendering) and the time slot."""
    current = node()
    version = network_version()
    slot = DOCUMENT_SLOT if request.path.endswith((".ics", ".atom")) else HTML_SLOT
    parts = (
        current.node_id,  # a hub serves many spaces from one process
        request.full_path,
        request.headers.get("Accept-Language", ""),
        request.headers.get("Cookie", ""),
        version,
        str(int(current.now_ms() / 1000) // slot),
    )
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()


def network_version() -> str:
    """:func:`node.published.network_version`, read once per request (before its page is
    rendered) and kept in ``g`` for the view's own memos."""
    if "network_version" not in g:
        with node().db.read() as session:
            g.network_version = published.network_version(session)
    return f"{node().node_id} {g.network_version}"


def minute() -> int:
    """The current :data:`HTML_SLOT` (what an HTML page's "5 min ago" may change with)."""
    return int(node().now_ms() / 1000) // HTML_SLOT


def answer_remembered() -> Response | None:
    """304 for a network page, calendar or feed whose ETag the client names and which has not
    changed since it was rendered; None (render it) otherwise."""
    if not _remembered_route():
        return None
    key = g.remembered_key = _key()
    etag = _REMEMBERED.get(key)
    if etag is not None and etag in request.if_none_match:
        response = Response(status=304)
        response.set_etag(etag)
        return response
    return None


def conditional(response: Response) -> Response:
    """ETag the body of a successful GET/HEAD public page answer; 304 when it matches."""
    if (
        request.method in ("GET", "HEAD")
        and (marked(ETAGGED) or marked(REMEMBERED))
        and response.status_code == 200
        and not response.direct_passthrough
        and "ETag" not in response.headers
    ):
        response.add_etag()
        response = response.make_conditional(request)
        if "Authorization" in request.headers and "Cache-Control" not in response.headers:
            # An admin's read (a bearer token): validated by the client, never kept by others.
            response.headers["Cache-Control"] = "private, no-cache"
    key = g.pop("remembered_key", None)
    if key is not None and response.status_code in (200, 304):
        etag, _ = response.get_etag()
        if etag:
            _REMEMBERED.put(key, etag)
    return response


def init_app(app: Flask) -> None:
    """Answer the GETs of the public pages and of the API conditionally."""
    app.before_request(answer_remembered)
    app.after_request(conditional)
