"""Photo files over HTTP (protocol.md §Photos): ``GET /federation/v1/photos/<hash>`` for peers,
and the same file at ``/photos/<hash>`` for this node's pages (outside ``/federation/``, which
robots.txt keeps crawlers out of, so link previews can load ``og:image``).

Only a file whose verified bytes this node holds is served: our own, or a cached peer's while
some current record still names it (not after its origin removed it or was blocked); a file
is named by its content, so it never changes: long-lived, immutable caching. The content type is
the one its descriptor declared and its first bytes were checked against, and
``X-Content-Type-Options: nosniff`` (``node.http.headers.harden``) keeps browsers from guessing
another.
"""

from __future__ import annotations

import re

from flask import Blueprint, Flask, Response, request
from sqlalchemy import exists, or_, select
from werkzeug.wrappers import Response as BaseResponse

from node.errors import NodeError, NotFound
from node.http.context import node
from node.photos import files
from node.photos.models import PhotoFile, PhotoRef

bp = Blueprint("photos", __name__)

_HASH = re.compile(r"[0-9a-f]{64}")
IMMUTABLE = "public, max-age=31536000, immutable"


class BadParameter(NodeError):
    status = 400
    reason = "bad-parameter"
    title = "Bad parameter"


@bp.get("/federation/v1/photos/<digest>")
@bp.get("/photos/<digest>", endpoint="photo")
def photo_file(digest: str) -> BaseResponse:
    """The file of ``digest``: 400 for a malformed hash, 404 ``unknown-photo`` when this node
    does not hold its verified bytes or no current record names a peer's file, 304 for a
    matching ``If-None-Match``."""
    if _HASH.fullmatch(digest) is None:
        raise BadParameter("a photo is named by 64 lowercase hex characters (its SHA-256)")
    current = node()
    with current.db.read() as session:
        named = exists().where(PhotoRef.hash == digest)
        media_type = session.scalar(
            select(PhotoFile.media_type).where(
                PhotoFile.hash == digest,
                PhotoFile.stored.is_(True),
                or_(PhotoFile.own.is_(True), named),
            )
        )
    data = files.read(current, digest) if media_type else None
    if media_type is None or data is None:
        raise NotFound(f"this node holds no photo {digest}", reason="unknown-photo")
    response = Response(data, mimetype=media_type)
    response.headers["Cache-Control"] = IMMUTABLE
    response.set_etag(digest)
    return response.make_conditional(request)


def init_app(app: Flask) -> None:
    """Register the photo file routes."""
    app.register_blueprint(bp)
