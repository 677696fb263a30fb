"""``/.well-known/spazi`` (the signed node descriptor) and ``/.well-known/jwks.json``."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Flask, Response, json
from sqlalchemy.orm import Session

from federation.descriptor import build_descriptor
from federation.passes import jwks
from node import published
from node.feedstore import keyring, own_key_entries
from node.http.context import node
from node.http.marks import public_read
from node.keystore import current_key
from node.runtime import Node

bp = public_read(Blueprint("wellknown", __name__))


def descriptor_for(session: Session, current: Node) -> dict[str, Any]:
    """Our descriptor, signed now with the current key."""
    space = published.space(session, current.node_id)
    name = space.name if space is not None else current.node_id
    return build_descriptor(
        current_key(session, current),
        current.node_id,
        name,
        current.url,
        own_key_entries(session, current.node_id),
        current.now_ms(),
    )


@bp.get("/.well-known/spazi")
def descriptor() -> Response:
    current = node()
    with current.db.read() as session:
        doc = descriptor_for(session, current)
    return Response(json.dumps(doc), mimetype="application/json")


@bp.get("/.well-known/jwks.json")
def jwks_document() -> Response:
    current = node()
    with current.db.read() as session:
        periods = keyring(session).periods(current.node_id)
    response = Response(json.dumps(jwks(periods)), mimetype="application/jwk-set+json")
    response.headers["Cache-Control"] = "public, max-age=300"
    return response


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
