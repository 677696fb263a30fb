"""Conditional GET for the public pages and the JSON API's reads: each answer carries an ETag
of its body, and a request whose ``If-None-Match`` names it gets ``304 Not Modified`` with no
body. Calendars and Atom feeds do the same in their own views (node/web/calendar.py,
node/web/atom.py), so a calendar app or feed reader polling every few minutes, a website
reading the API, and a phone reloading a page move headers only when nothing changed
(ARCHITECTURE.md §Network pages).

Admin pages are left out: they are private and carry a CSRF token, and must never be cached.
"""

from __future__ import annotations

from flask import Flask, request
from werkzeug.wrappers import Response

CONDITIONAL_BLUEPRINTS = frozenset(
    {"pages", "network_pages", "network_embed", "sharing", "api", "twinning_api"}
)


def conditional(response: Response) -> Response:
    """ETag the body of a successful GET/HEAD public page answer; 304 when it matches."""
    if (
        request.blueprint in CONDITIONAL_BLUEPRINTS
        and request.method in ("GET", "HEAD")
        and response.status_code == 200
        and not response.direct_passthrough
        and "ETag" not in response.headers
    ):
        response.add_etag()
        return response.make_conditional(request)
    return response


def init_app(app: Flask) -> None:
    """Answer the GETs of the public pages and of the API conditionally."""
    app.after_request(conditional)
