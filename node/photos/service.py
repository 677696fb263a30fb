"""The admin's photos of the space, its events and its desks and rooms (the kinds of
:mod:`node.photos.kinds`): add (make the files, then publish the
record naming them), list and remove (publish the record without it).

Making the files (decoding, scaling, writing to disk) happens before the write transaction, so
a large image never holds the database; the record and the rows of its files then commit in one
transaction. A transaction that fails leaves at most files no row names, which nothing serves.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from federation.encoding import sha256_hex
from federation.photos import MAX_ALT, MAX_PHOTOS
from node.errors import Conflict, InvalidInput, NotFound
from node.messages import N_
from node.photos import files, images
from node.photos.kinds import SPACE, kind_of
from node.photos.models import PhotoFile
from node.runtime import Node
from node.services.publishing import publish
from node.services.validation import text_problem


@dataclass(frozen=True)
class NewPhoto:
    """A photo made from an upload, its files on disk, not yet published."""

    alt: str
    files: tuple[dict[str, Any], ...]  # descriptors, narrowest first


def check_alt(alt: str) -> str:
    """The alt text, trimmed; one line of at most :data:`MAX_ALT` characters."""
    alt = " ".join(alt.split()) if alt else ""
    problem = text_problem(alt)
    if problem is not None:
        raise InvalidInput(problem, field="alt", errors={"alt": [problem]})
    if len(alt) > MAX_ALT:
        message = N_("at most %(count)s characters", count=MAX_ALT)
        raise InvalidInput(message, field="alt", errors={"alt": [message]})
    return alt


def make(node: Node, data: bytes, alt: str) -> NewPhoto:
    """Check ``alt``, make the photo's files from the uploaded ``data`` and put them on disk."""
    alt = check_alt(alt)
    made = images.encode(data, int(node.settings["photo_upload_bytes"]))
    descriptors = []
    for item in made:
        digest = sha256_hex(item.data)
        files.write(node, digest, item.data)
        descriptors.append(
            {
                "hash": digest,
                "type": images.MEDIA_TYPE,
                "size": len(item.data),
                "width": item.width,
                "height": item.height,
            }
        )
    return NewPhoto(alt, tuple(descriptors))


def _record(session: Session, node: Node, item: str) -> tuple[str, dict[str, Any]]:
    """The entry type and current body of our record ``item``, which must be able to change."""
    kind, record_id = kind_of(item)
    current = kind.read(session, node.node_id, record_id)
    if current is None:
        raise kind.missing(record_id)
    if current.closed:
        raise kind.closed(record_id)
    return kind.entry_type, current.body


def add(session: Session, node: Node, item: str, photo: NewPhoto) -> int:
    """Publish our record ``item`` with ``photo`` added last; its number (from 1)."""
    entry_type, body = _record(session, node, item)
    photos = list(body.get("photos", []))
    if len(photos) >= MAX_PHOTOS:
        raise InvalidInput(
            N_("there are already %(max_photos)s photos: remove one first", max_photos=MAX_PHOTOS),
            reason="too-many-photos",
        )
    if {f["hash"] for p in photos for f in p["files"]} & {f["hash"] for f in photo.files}:
        raise Conflict(N_("this photo is already there"), reason="photo-exists")
    for descriptor in photo.files:
        row = session.get(PhotoFile, descriptor["hash"])
        if row is None:
            row = PhotoFile(hash=descriptor["hash"], tries=0, next_try_ms=0)
            session.add(row)
        row.own, row.stored, row.stored_at = True, True, node.now()
        row.media_type, row.size = descriptor["type"], descriptor["size"]
    photos.append({"alt": photo.alt, "files": [dict(f) for f in photo.files]})
    publish(session, node, entry_type, {**body, "photos": photos})
    return len(photos)


def listing(session: Session, node: Node, item: str) -> list[dict[str, Any]]:
    """Our record's photos: number, alt text, the widest file's hash and size in pixels."""
    row_body = _body(session, node, item)
    return [
        {
            "number": number,
            "alt": photo["alt"],
            "hash": photo["files"][-1]["hash"],
            "width": photo["files"][-1]["width"],
            "height": photo["files"][-1]["height"],
        }
        for number, photo in enumerate(row_body.get("photos", []), start=1)
    ]


def _body(session: Session, node: Node, item: str) -> dict[str, Any]:
    """Our record's current body (closed ones too); none yet for a space with no profile."""
    kind, record_id = kind_of(item)
    current = kind.read(session, node.node_id, record_id)
    if current is not None:
        return current.body
    if kind is SPACE:
        return {}
    raise kind.missing(record_id)


def find(photos: list[dict[str, Any]], key: str) -> int:
    """The index of the photo ``key`` names: its number in the list (from 1), or the start
    (at least 8 characters) of one of its files' hashes."""
    key = key.strip().lower()
    if key.isdigit() and 1 <= int(key) <= len(photos):
        return int(key) - 1
    if len(key) >= 8:
        found = [
            index
            for index, photo in enumerate(photos)
            if any(f["hash"].startswith(key) for f in photo["files"])
        ]
        if len(found) == 1:
            return found[0]
    raise NotFound(
        N_("no photo %(key)r: give its number or hash from the list of photos", key=key),
        reason="unknown-photo",
    )


def remove(session: Session, node: Node, item: str, key: str) -> dict[str, Any]:
    """Publish our record ``item`` without the photo ``key`` names; the photo removed."""
    entry_type, body = _record(session, node, item)
    photos = list(body.get("photos", []))
    removed = photos.pop(find(photos, key))
    if photos:
        body["photos"] = photos
    else:
        body.pop("photos", None)
    publish(session, node, entry_type, body)
    return dict(removed)
