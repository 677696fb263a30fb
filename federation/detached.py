"""Detached bodies: content that travels beside a signed entry and can be erased for good.

Some entries publish personal data that its owner may take back (a member's network profile).
Their signed body holds only the SHA-256 of that data, the *detached body*; the data itself
travels beside the entry in feed pages. Dropping the detached body later leaves the entry, its
hash and so the whole chain verifiable (protocol.md §Detached bodies).

A node keeps a detached body only while its entry is the latest word on its record: a later
``profile.put`` of the same id supersedes it and a ``profile.withdraw`` erases it, and then every
node that holds it deletes it (:func:`superseded_in_page` for one page; the node's projectors for
what it stored before).
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Mapping, Sequence
from typing import Any

from federation import bodies
from federation.canonical import check_document, encode_checked
from federation.encoding import sha256_hex
from federation.entries import Entry
from federation.errors import BodyError, EntryError, ProtocolError
from federation.schema import Obj

# Entry type → the closed schema of its detached body.
DETACHED_SCHEMAS: Mapping[str, Obj] = {"profile.put": bodies.PROFILE_BODY}
# Entry type → the types whose later entry of the same id drops its detached body.
DROPPED_BY: Mapping[str, frozenset[str]] = {
    "profile.put": frozenset({"profile.put", "profile.withdraw"}),
}
MAX_DETACHED_BYTES = 16 * 1024  # JCS of one detached body (protocol.md §Size limits)
_SEQ_KEY = re.compile(r"[1-9][0-9]{0,15}")


def new_salt() -> str:
    """16 random bytes, base64url (22 characters): the ``salt`` of a new detached body."""
    return secrets.token_urlsafe(16)


def encode_detached(entry_type: str, doc: Mapping[str, Any]) -> bytes:
    """Validate ``doc`` as the detached body of an ``entry_type`` entry; its canonical bytes.

    Raises :class:`BodyError` (``bad-detached-body``) for a type without detached bodies, a
    document outside its schema or one over the size limit.
    """
    schema = DETACHED_SCHEMAS.get(entry_type)
    if schema is None:
        raise BodyError("bad-detached-body", f"{entry_type} entries have no detached body")
    try:
        check_document(doc)
        schema(doc, "detached")
    except ProtocolError as exc:  # BodyError, CanonicalError
        raise BodyError("bad-detached-body", exc.detail) from exc
    raw = encode_checked(doc)
    if len(raw) > MAX_DETACHED_BYTES:
        raise BodyError(
            "bad-detached-body", f"detached body is {len(raw)} bytes, limit {MAX_DETACHED_BYTES}"
        )
    return raw


def detached_hash(raw: bytes) -> str:
    """The ``body_hash`` an entry names for the detached body with canonical bytes ``raw``."""
    return sha256_hex(raw)


def verify_detached(entries: Sequence[Entry], detached: Any) -> dict[int, bytes]:
    """Check the detached bodies served beside a verified page; seq → canonical bytes.

    ``detached`` is the page's ``detached`` member (None when absent): an object whose names are
    the decimal seqs of entries of the page. Each body must be valid for its entry's type and
    hash to the entry's ``body_hash``. Any problem refuses the whole page (``EntryError``):
    ``bad-detached-body`` for a body that names no entry of the page that can have one or is not
    valid, ``detached-body-mismatch`` when its hash is not the one the entry signed. A missing
    body is no error (it was dropped, or the relay never held it). Bodies the page itself
    supersedes are left out of the result, so they are never stored.
    """
    if detached is None:
        return {}
    if not isinstance(detached, Mapping):
        raise EntryError("bad-detached-body", "detached must be an object")
    by_seq = {entry.seq: entry for entry in entries}
    found: dict[int, bytes] = {}
    for key, doc in detached.items():
        entry = by_seq.get(int(key)) if isinstance(key, str) and _SEQ_KEY.fullmatch(key) else None
        if entry is None:
            raise EntryError("bad-detached-body", f"detached body {key!r:.40} names no entry here")
        try:
            raw = encode_detached(entry.type, doc)
        except BodyError as exc:
            raise EntryError("bad-detached-body", f"entry {entry.seq}: {exc.detail}") from exc
        if detached_hash(raw) != entry.body["body_hash"]:
            raise EntryError(
                "detached-body-mismatch", f"entry {entry.seq}'s detached body has another hash"
            )
        found[entry.seq] = raw
    for seq in superseded_in_page(entries):
        found.pop(seq, None)
    return found


def superseded_in_page(entries: Sequence[Entry]) -> set[int]:
    """The seqs of entries of ``entries`` with a detached body that a later entry of the same
    sequence drops (a later put or a withdrawal of the same origin and id)."""
    latest: dict[tuple[str, str, str], int] = {}
    dropped: set[int] = set()
    for entry in entries:
        for kind, droppers in DROPPED_BY.items():
            if entry.type in droppers:
                key = (kind, entry.origin, entry.body["id"])
                earlier = latest.pop(key, None)
                if earlier is not None:
                    dropped.add(earlier)
        if entry.type in DETACHED_SCHEMAS:
            latest[(entry.type, entry.origin, entry.body["id"])] = entry.seq
    return dropped
