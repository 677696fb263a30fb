"""CORS for the public reads: a space's own website (another origin) may read the node's
calendars, feeds, public JSON API reads and federation documents from the browser.

Read-only and without credentials: ``Access-Control-Allow-Origin: *`` (which browsers never
combine with cookies), GET and HEAD only, on an allow-list of endpoints. Admin pages, the admin
API, the inbox and every write get no CORS header at all, so a page elsewhere can neither read
them nor be told it may (README §Using the node from the space's own website).
"""

from __future__ import annotations

from flask import Flask, request
from werkzeug.wrappers import Response

from node.http.apidoc import PUBLIC_READS

# Whole blueprints whose every route is a public read.
PUBLIC_BLUEPRINTS = frozenset(
    {"calendar", "atom", "federation_read", "wellknown", "network_embed"}
)
# Single public reads elsewhere.
PUBLIC_ENDPOINTS = frozenset({"network_pages.network_events_ics", "api.openapi"})

ALLOWED_METHODS = "GET, HEAD"
# Conditional requests need If-None-Match / If-Modified-Since, which are not CORS-safelisted.
ALLOWED_HEADERS = "If-None-Match, If-Modified-Since"
EXPOSED_HEADERS = "ETag, Last-Modified, Link, Retry-After"
PREFLIGHT_MAX_AGE = "86400"


def is_public_read(endpoint: str | None) -> bool:
    """Whether ``endpoint`` is one other sites may read."""
    if endpoint is None:
        return False
    blueprint = endpoint.partition(".")[0]
    return (
        blueprint in PUBLIC_BLUEPRINTS or endpoint in PUBLIC_ENDPOINTS or endpoint in PUBLIC_READS
    )


def allow_public_reads(response: Response) -> Response:
    """Add the CORS headers to a GET/HEAD (or its preflight) of a public read."""
    if request.method not in ("GET", "HEAD", "OPTIONS") or not is_public_read(request.endpoint):
        return response
    if request.method == "OPTIONS":
        wanted = request.headers.get("Access-Control-Request-Method", "GET")
        if wanted not in ("GET", "HEAD"):
            return response  # a write is never allowed from another site
        response.headers["Access-Control-Allow-Methods"] = ALLOWED_METHODS
        response.headers["Access-Control-Allow-Headers"] = ALLOWED_HEADERS
        response.headers["Access-Control-Max-Age"] = PREFLIGHT_MAX_AGE
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.headers["Access-Control-Expose-Headers"] = EXPOSED_HEADERS
    return response


def init_app(app: Flask) -> None:
    """Answer other sites' reads of the public endpoints."""
    app.after_request(allow_public_reads)
