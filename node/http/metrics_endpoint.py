"""``/metrics`` (Prometheus text format) and the request counter behind it (node/metrics.py).

When the ``metrics_token`` setting is set, a scrape must send it as a bearer token (401
otherwise); leave it empty only where ``/metrics`` is reachable from the monitoring host alone.
"""

from __future__ import annotations

import hmac

from flask import Blueprint, Flask, Response, request
from prometheus_client import CONTENT_TYPE_LATEST

from node import metrics
from node.errors import Unauthorized
from node.http.context import node

bp = Blueprint("metrics", __name__)


@bp.get("/metrics")
def scrape() -> Response:
    """The node's metrics; with ``metrics_token`` set, only for a scraper sending it."""
    current = node()
    wanted = str(current.settings.get("metrics_token") or "")
    if wanted:
        scheme, _, given = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(given.strip(), wanted):
            raise Unauthorized(
                "send the metrics token: Authorization: Bearer <token>", reason="bad-token"
            )
    # content_type, not mimetype: CONTENT_TYPE_LATEST already names its charset, and Flask
    # appends one to a text mimetype.
    response = Response(metrics.exposition(current), content_type=CONTENT_TYPE_LATEST)
    response.headers["Cache-Control"] = "no-store"
    return response


def count_request(response: Response) -> Response:
    """Count each answered request by its route (URL rule) and status."""
    rule = request.url_rule.rule if request.url_rule is not None else "unmatched"
    metrics.REQUESTS.labels(rule, request.method, str(response.status_code)).inc()
    return response


def init_app(app: Flask) -> None:
    """Register ``/metrics`` and the request counter."""
    app.register_blueprint(bp)
    app.after_request(count_request)
