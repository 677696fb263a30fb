"""``POST /federation/v1/inbox``: signed messages from other nodes."""

from __future__ import annotations

from flask import Blueprint, Flask, Response, jsonify, request

from node.errors import NodeError
from node.http.context import node
from node.network.inbox import Delivery, receive

bp = Blueprint("inbox", __name__)


class UnsupportedMediaType(NodeError):
    status = 415
    reason = "unsupported-media-type"
    title = "Unsupported media type"


@bp.post("/federation/v1/inbox")
def inbox() -> tuple[Response, int]:
    current = node()
    if request.mimetype != "application/json":
        raise UnsupportedMediaType("send the message as application/json")
    # The sender signed our public URL; behind a reverse proxy request.url is the inner one.
    target = current.url + request.path
    if request.query_string:
        target += "?" + request.query_string.decode("latin-1")
    delivery = Delivery(
        method=request.method,
        url=target,
        headers=list(request.headers.items()),
        body=request.get_data(cache=False),
        remote=request.remote_addr,
    )
    return jsonify(receive(current, delivery)), 202


def init_app(app: Flask) -> None:
    """Register this blueprint on ``app`` (a part of a feature record, ``node.features``)."""
    app.register_blueprint(bp)
