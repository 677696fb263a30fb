"""Security headers on every response the node sends: pages, JSON, problem+json, ICS, Atom,
static files, errors and redirects alike.

HSTS is not among them: only the TLS end knows the site is served over HTTPS, so it is set by
the reverse proxy (deploy/nginx.conf).
"""

from __future__ import annotations

from collections.abc import Sequence

from flask import Flask, Response
from werkzeug.wrappers import Response as BaseResponse

# No script runs on the pages and nothing is loaded from elsewhere; JSON-LD blocks are data,
# which CSP does not treat as script. tests/node/test_security_headers.py checks the pages need
# nothing more.
PAGE_POLICY = (
    "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'"
)
# The few pages that run a script of their own (the front desk's camera scanner, the member
# page's service worker registration): scripts and workers from this node only, never inline;
# camera frames are drawn on a canvas and photos previewed as blob: images.
SCRIPT_PAGE_POLICY = (
    "default-src 'none'; script-src 'self'; worker-src 'self'; connect-src 'self'; "
    "style-src 'self'; img-src 'self' data: blob:; media-src 'self' blob:; "
    "manifest-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)


def script_page_policy(form_targets: Sequence[str] = ()) -> str:
    """:data:`SCRIPT_PAGE_POLICY`, letting the page's forms also post to ``form_targets``
    (origins already checked to be plain ``scheme://host[:port]``): the member page's "Book at
    <partner>" sends the pass to that partner's booking page and nowhere else."""
    if not form_targets:
        return SCRIPT_PAGE_POLICY
    return SCRIPT_PAGE_POLICY.replace(
        "form-action 'self'", "form-action 'self' " + " ".join(form_targets)
    )


def keep_private(response: BaseResponse, cache_control: str = "private, no-store") -> BaseResponse:
    """Headers of a page whose address is a credential (a secret link) or that shows one: never
    sent on as a referrer, never kept by shared caches, never indexed."""
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["Cache-Control"] = cache_control
    response.headers["X-Robots-Tag"] = "noindex"
    return response


# A service worker script: its own fetches (the pages it keeps for offline use) go to this node
# only; it loads nothing else.
WORKER_POLICY = "default-src 'none'; connect-src 'self'"
# Everything else (JSON, feeds, calendars, CSS) is never a document that loads anything; if a
# browser renders one anyway, it may run and embed nothing.
OTHER_POLICY = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'"
# A feed opened in a browser loads its stylesheet from this node (node/web/atom.py), nothing else.
FEED_POLICY = "default-src 'none'; style-src 'self'; frame-ancestors 'none'; base-uri 'none'"

# The events widget other sites put in an iframe (node/web/embed.py): any site may frame it, and
# still no script runs and nothing is loaded; its one inline style block is allowed by its hash.
EMBED_ANCESTORS = "frame-ancestors *"


def embed_policy(style_hash: str) -> str:
    """The policy of a page meant for other sites' iframes, whose only style is the inline
    block with ``style_hash`` (``sha256-…``)."""
    return (
        f"default-src 'none'; style-src '{style_hash}'; form-action 'none'; "
        f"base-uri 'none'; {EMBED_ANCESTORS}"
    )


COMMON = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
}


def harden(response: Response) -> Response:
    """Add the security headers to ``response`` (a view's own value wins). A response whose
    own policy lets any site frame it (:func:`embed_policy`) gets no ``X-Frame-Options``,
    which would forbid what the policy allows."""
    framable = EMBED_ANCESTORS in response.headers.get("Content-Security-Policy", "")
    for name, value in COMMON.items():
        if not (framable and name == "X-Frame-Options"):
            response.headers.setdefault(name, value)
    policy = PAGE_POLICY if response.mimetype == "text/html" else OTHER_POLICY
    response.headers.setdefault("Content-Security-Policy", policy)
    return response


def init_app(app: Flask) -> None:
    """Run :func:`harden` on every response, error responses included."""
    app.after_request(harden)
