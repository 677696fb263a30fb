"""Federation read endpoints (protocol.md §HTTP): heads, feed pages, single entries.

Feed pages are assembled from the stored canonical bytes without decoding them: serving a page is
mostly a copy, which is what keeps a small box able to feed many peers.
"""

from __future__ import annotations

import hashlib

from flask import Blueprint, Flask, Response, current_app, request
from sqlalchemy import select

from federation.canonical import canonicalize
from federation.keys import is_node_id
from node.errors import NodeError, NotFound
from node.feedstore import detached_raw, entry_raw, page_raw
from node.feedstore import heads as all_heads
from node.http.context import node
from node.http.marks import public_read
from node.models import ForkProof, Origin

bp = public_read(Blueprint("federation_read", __name__))


class BadParameter(NodeError):
    status = 400
    reason = "bad-parameter"
    title = "Bad parameter"


def _json(data: bytes) -> Response:
    return Response(data, mimetype="application/json")


def _conditional_json(data: bytes) -> Response:
    """``data`` with a strong validator derived from the bytes themselves, answered ``304`` with
    no body when the request's ``If-None-Match`` names it (protocol.md §Heads).

    The validator is a digest of the whole document, not a counter kept beside it: any change
    to any member changes it, so a ``304`` can never hide one.
    """
    response = _json(data)
    response.set_etag(hashlib.sha256(data).hexdigest()[:32])
    response.make_conditional(request)  # turns the response itself into the 304
    return response


def _int_arg(name: str, default: int, minimum: int, maximum: int | None = None) -> int:
    raw = request.args.get(name)
    if raw is None:
        return default
    if not raw.isdigit() or len(raw) > 16:
        raise BadParameter(f"{name} must be a non-negative integer")
    value = int(raw)
    if value < minimum or (maximum is not None and value > maximum):
        upper = f"..{maximum}" if maximum is not None else " or more"
        raise BadParameter(f"{name} must be {minimum}{upper}")
    return value


def _served_origin(session: object, origin: str) -> Origin:
    if not is_node_id(origin):
        raise BadParameter("origin must be a did:key node id")
    row = session.get(Origin, origin)  # type: ignore[attr-defined]
    if row is None or row.head_seq == 0 or row.status == "blocked":
        raise NotFound(f"this node holds no feed of {origin}", reason="unknown-origin")
    return row


@bp.get("/federation/v1/heads")
def heads() -> Response:
    with node().db.read() as session:
        found = all_heads(session)
    # A puller that saw this very document last round gets 304 and does no per-origin work.
    parts = [
        b'"'
        + origin.encode()
        + b'":{"hash":"'
        + h.hash.encode()
        + b'","seq":'
        + str(h.seq).encode()
        + b"}"
        for origin, h in sorted(found.items())
        if h.hash is not None
    ]
    return _conditional_json(b'{"heads":{' + b",".join(parts) + b"}}")


MAX_PAGE_BYTES = 8 * 1024 * 1024 - 4096  # protocol.md §Size limits, less room for the envelope


def _within_budget(
    raws: list[bytes], bodies: dict[int, bytes], first_seq: int
) -> tuple[list[bytes], dict[int, bytes]]:
    """As many entries as fit the 8 MiB page limit with their detached bodies (always at least
    one entry), and those bodies: the page ends early rather than leave a body out, since the
    client would keep the entry and never see its text (protocol.md §Detached bodies)."""
    total = 0
    for index, raw in enumerate(raws):
        body = bodies.get(first_seq + index)
        total += len(raw) + 1 + (len(body) + 24 if body is not None else 0)
        if total > MAX_PAGE_BYTES and index > 0:
            raws = raws[:index]
            break
    end = first_seq + len(raws)
    return raws, {seq: body for seq, body in bodies.items() if seq < end}


@bp.get("/federation/v1/feeds/<origin>")
def feed_page(origin: str) -> Response:
    settings = current_app.config["SPAZI"]
    after = _int_arg("after", 0, 0)
    most = settings["feed_page_max"]
    # A limit above our maximum is reduced to it rather than refused: nodes with different
    # settings must still be able to page through each other's feeds.
    limit = min(_int_arg("limit", settings["feed_page_default"], 1), most)
    with node().db.read() as session:
        row = _served_origin(session, origin)
        raws = page_raw(session, origin, after, limit)
        # Only the bodies still held: a dropped one is gone here too (protocol.md §Detached
        # bodies), whoever asks.
        bodies = detached_raw(session, origin, after + 1, after + len(raws)) if raws else {}
        head_seq, head_hash = row.head_seq, row.head_hash
    raws, bodies = _within_budget(raws, bodies, after + 1)
    head = b'{"hash":"' + str(head_hash).encode() + b'","seq":' + str(head_seq).encode() + b"}"
    # Members in canonical order: "detached" sorts first, and is left out when empty.
    detached = b'"detached":' + _detached_object(bodies) + b"," if bodies else b""
    body = (
        b"{"
        + detached
        + b'"entries":['
        + b",".join(raws)
        + b'],"head":'
        + head
        + b',"origin":"'
        + origin.encode()
        + b'"}'
    )
    return _json(body)


def _detached_object(bodies: dict[int, bytes]) -> bytes:
    """``{"<seq>": <body>, …}`` with the names in canonical (string) order."""
    items = sorted((str(seq), raw) for seq, raw in bodies.items())
    return b"{" + b",".join(b'"' + name.encode() + b'":' + raw for name, raw in items) + b"}"


@bp.get("/federation/v1/feeds/<origin>/entries/<int:seq>")
def one_entry(origin: str, seq: int) -> Response:
    wrapped = request.args.get("detached")
    if wrapped not in (None, "1"):
        raise BadParameter("detached must be 1")
    with node().db.read() as session:
        _served_origin(session, origin)
        raw = entry_raw(session, origin, seq)
        body = detached_raw(session, origin, seq, seq).get(seq) if wrapped else None
    if raw is None:
        raise NotFound(f"no entry {seq} of {origin}", reason="unknown-entry")
    if wrapped:
        # {"detached": <body or null>, "entry": <entry>} (protocol.md §One entry)
        return _json(b'{"detached":' + (body or b"null") + b',"entry":' + raw + b"}")
    return _json(raw)


@bp.get("/federation/v1/forks")
def forks() -> Response:
    """Every fork proof we hold, so peers can verify them and quarantine the origins too."""
    with node().db.read() as session:
        proofs = [row.proof for row in session.scalars(select(ForkProof).order_by(ForkProof.found))]
    return _conditional_json(canonicalize({"forks": proofs}))


def init_app(app: Flask) -> None:
    """Register this blueprint on ``app`` (a part of a feature record, ``node.features``)."""
    app.register_blueprint(bp)
