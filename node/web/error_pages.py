"""HTML error pages for people, problem+json for machines.

``node.http.problems`` turns every error into ``application/problem+json``. An error on one of the
web pages (their blueprints below) is shown as an HTML page instead, and so is an error on an
address no route matched when the client prefers HTML (a browser); the JSON API, the federation
endpoints and clients asking for JSON or anything (``*/*``) keep getting problem+json from the
handler registered before this one.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Flask, Response, current_app, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from federation.errors import ProtocolError
from node.errors import NodeError
from node.http.problems import as_unavailable
from node.messages import N_, Recogniser
from node.web.rendering import is_page_path, render

# Blueprints whose routes are pages for people (node.web registers them).

Handler = Callable[[Any], Any]

_FRIENDLY = {
    404: _l("There is nothing at this address. It may have moved, or the link may be mistyped."),
    405: _l("This address does not accept that kind of request."),
    413: _l("What you sent is too large."),
    500: _l(
        "Something went wrong on this node. The space's admins can find the details in its log."
    ),
    503: _l("This node cannot answer right now. Please try again in a few seconds."),
}
# Page titles of the HTTP errors people meet (Werkzeug's names are English only).
_TITLES = {
    400: _l("Bad request"),
    401: _l("Authentication required"),
    403: _l("Forbidden"),
    404: _l("Not found"),
    405: _l("Method not allowed"),
    409: _l("Conflict"),
    413: _l("Too large"),
    429: _l("Too many requests"),
    415: _l("Unsupported media type"),
    422: _l("Invalid input"),
    500: _l("Internal error"),
    503: _l("Service unavailable"),
}


def error_page(status: int, title: str, detail: str, message: str | None = None) -> Response:
    """An HTML error page with ``status``."""
    body, _status = render(
        "error.html",
        status=status,
        title=title,
        detail=detail,
        message=message if message is not None else str(_FRIENDLY.get(status, "")),
        noindex=True,
    )
    return Response(body, status=status, mimetype="text/html")


# Flask-WTF's reasons for refusing a form, so that the catalogue translates them.
CSRF_TEXTS = Recogniser(
    [
        N_("The CSRF token is missing."),
        N_("The CSRF session token is missing."),
        N_("The CSRF token has expired."),
        N_("The CSRF token is invalid."),
        N_("The CSRF tokens do not match."),
        N_("The referrer header is missing."),
        N_("The referrer does not match the host."),
    ]
)


def _for_page(exc: Exception) -> Response:
    exc = as_unavailable(exc) or exc
    if isinstance(exc, CSRFError):
        response = error_page(
            400,
            _("Form refused"),
            CSRF_TEXTS(exc.description or ""),
            _(
                "This form has expired or was not sent from this site. "
                "Go back, reload the page and try again."
            ),
        )
    elif isinstance(exc, HTTPException):
        status = exc.code or 500
        # Werkzeug's stock sentence says what the friendly one says already: show it once.
        own = exc.description if exc.description != type(exc).description else ""
        response = error_page(status, str(_TITLES.get(status, exc.name)), own or "")
        allow = exc.get_response().headers.get("Allow")
        if allow:
            response.headers["Allow"] = allow
    elif isinstance(exc, NodeError):
        if exc.status == 503:
            current_app.logger.warning("%s %s: %s", request.method, request.path, exc.detail)
        response = error_page(exc.status, str(_TITLES.get(exc.status, exc.title)), exc.detail)
        if exc.retry_after is not None:
            response.headers["Retry-After"] = str(exc.retry_after)
    elif isinstance(exc, ProtocolError):
        response = error_page(400, _("Bad request"), exc.detail)
    else:
        current_app.logger.exception("unhandled error on page %s", request.path)
        response = error_page(500, _("Internal error"), "")
    return response


def _page_sections(app: Flask) -> frozenset[str]:
    """The first path segments of the page routes (``admin``, ``events``…), read from the
    URL map once all blueprints are registered (at the first error)."""
    sections = app.extensions.get("spazi_page_sections")
    if sections is None:
        found = set()
        for rule in app.url_map.iter_rules():
            first = rule.rule.lstrip("/").split("/", 1)[0]
            if first and "<" not in first and is_page_path(rule.rule):
                found.add(first)
        sections = app.extensions["spazi_page_sections"] = frozenset(found)
    return sections


def wants_page() -> bool:
    """Whether the error of the current request should be an HTML page: on every route of a
    page path (whichever feature's blueprint serves it), on an unknown address within a section
    of pages (``/admin/nope``), and on any other unknown address when the client asks for HTML
    first."""
    if not is_page_path(request.path):
        return False
    if request.blueprint is not None:
        return True
    if request.path.lstrip("/").split("/", 1)[0] in _page_sections(current_app):
        return True
    best = request.accept_mimetypes.best_match(["application/problem+json", "text/html"])
    return best == "text/html"


def _wrap(previous: Handler | None) -> Handler:
    def handle(exc: Exception) -> Any:
        if previous is None or wants_page():
            return _for_page(exc)
        return previous(exc)

    return handle


def init_app(app: Flask) -> None:
    """Put HTML pages in front of the problem+json handlers for page paths."""
    app_handlers = app.error_handler_spec[None][None]
    for exc_class in (HTTPException, NodeError, ProtocolError, Exception):
        app.register_error_handler(exc_class, _wrap(app_handlers.get(exc_class)))
