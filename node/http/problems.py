"""RFC 9457 problem details for every HTTP error the node returns.

``type`` is ``urn:spazi:problem:<reason>``; reasons are stable and listed in protocol.md.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, Response, json, request
from werkzeug.exceptions import HTTPException

from federation.canonical import parse_strict
from federation.errors import ProtocolError
from node.db import RETRY_AFTER_S, unavailable
from node.errors import InvalidInput, NodeError, Unavailable, UnsupportedMediaType

PROBLEM_JSON = "application/problem+json"
_HTTP_REASONS = {
    400: "bad-request",
    401: "unauthorized",
    403: "forbidden",
    404: "not-found",
    405: "method-not-allowed",
    409: "conflict",
    413: "body-too-large",
    415: "unsupported-media-type",
    422: "invalid-input",
    429: "too-many-requests",
    500: "internal-error",
    503: "unavailable",
}


def as_unavailable(exc: BaseException) -> Unavailable | None:
    """A busy, full or unreachable database as a 503 :class:`Unavailable`, else None."""
    why = unavailable(exc)
    if why is None:
        return None
    return Unavailable(f"{why}; try again in a few seconds", retry_after=RETRY_AFTER_S)


def problem(status: int, reason: str, title: str, detail: str, **extra: Any) -> Response:
    """A problem+json response."""
    doc: dict[str, Any] = {
        "type": f"urn:spazi:problem:{reason}",
        "title": title,
        "status": status,
        "detail": detail,
        **extra,
    }
    if request:
        doc.setdefault("instance", request.path)
    response = Response(json.dumps(doc), status=status, mimetype=PROBLEM_JSON)
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="spazi-admin"'
    return response


def json_body(max_bytes: int | None = None) -> Any:
    """The request body parsed strictly as JSON (duplicate keys, floats, NaN refused).

    The size was already capped by ``MAX_CONTENT_LENGTH`` before this reads anything.
    """
    mimetype = request.mimetype or ""
    if mimetype != "application/json" and not mimetype.endswith("+json"):
        raise UnsupportedMediaType("send the body as application/json")
    data = request.get_data(cache=True)
    try:
        return parse_strict(data, max_bytes)
    except ProtocolError as exc:
        raise InvalidInput(f"malformed JSON body: {exc.detail}", reason="malformed-json") from exc


def optional_json_body() -> dict[str, Any]:
    """``json_body()``, or ``{}`` when the request has no body: for operations whose fields are
    all optional (a reason, a day), declared with ``operation(..., body_optional=True)``. A body
    that is given must be an object: ``null`` or ``[]`` is no way to say "nothing"."""
    if not request.content_length:
        return {}
    data = json_body()
    if not isinstance(data, dict):
        raise InvalidInput(
            "expected a JSON object (or no body)", errors={"_schema": ["Invalid input type."]}
        )
    return data


def init_app(app: Flask) -> None:
    """Register the handlers that turn every error into problem+json."""

    @app.errorhandler(NodeError)
    def _node_error(exc: NodeError) -> Response:
        response = problem(exc.status, exc.reason, exc.title, exc.detail, **exc.extra)
        if exc.retry_after is not None:
            response.headers["Retry-After"] = str(exc.retry_after)
        return response

    @app.errorhandler(ProtocolError)
    def _protocol_error(exc: ProtocolError) -> Response:
        return problem(400, exc.reason, "Protocol error", exc.detail)

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException) -> Response:
        status = exc.code or 500
        reason = _HTTP_REASONS.get(status, "http-error")
        detail = exc.description or exc.name
        if status == 413:
            detail = f"request body is larger than {app.config['MAX_CONTENT_LENGTH']} bytes"
        response = problem(status, reason, exc.name, detail)
        if status == 405 and exc.get_response().headers.get("Allow"):
            response.headers["Allow"] = exc.get_response().headers["Allow"]
        return response

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception) -> Response:
        busy = as_unavailable(exc)
        if busy is not None:
            # Temporary and no fault of the request: one line in the log, no traceback.
            app.logger.warning("%s %s: %s", request.method, request.path, busy.detail)
            return _node_error(busy)
        app.logger.exception("unhandled error")
        return problem(500, "internal-error", "Internal error", "the node failed; see its log")
