"""The admin's photos of the space and of its events: add (make the files, then publish the
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
from federation.schema import text_problem
from node import published
from node.errors import Conflict, InvalidInput, NotFound
from node.photos import files, images
from node.photos.models import PhotoFile
from node.photos.refs import PROFILE
from node.runtime import Node
from node.services.publishing import publish


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
        raise InvalidInput(f"alt: {problem}", errors={"alt": [problem]})
    if len(alt) > MAX_ALT:
        message = f"at most {MAX_ALT} characters"
        raise InvalidInput(f"alt: {message}", errors={"alt": [message]})
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
    """The entry type and current body of our record ``item`` (the profile, or an event)."""
    if item == PROFILE:
        row = published.space(session, node.node_id)
        if row is None:
            raise InvalidInput("the space has no profile yet", reason="no-profile")
        return "space.profile", dict(row.profile)
    event = published.event(session, node.node_id, item)
    if event is None:
        raise NotFound(f"no event {item!r}", reason="unknown-event")
    if event.cancelled:
        # Publishing event.put again would bring the event back (protocol.md §Published state).
        raise Conflict(
            f"event {item!r} is cancelled: its photos can no longer change",
            reason="already-cancelled",
        )
    return "event.put", dict(event.body)


def add(session: Session, node: Node, item: str, photo: NewPhoto) -> int:
    """Publish our record ``item`` with ``photo`` added last; its number (from 1)."""
    entry_type, body = _record(session, node, item)
    photos = list(body.get("photos", []))
    if len(photos) >= MAX_PHOTOS:
        raise InvalidInput(
            f"there are already {MAX_PHOTOS} photos: remove one first", reason="too-many-photos"
        )
    if {f["hash"] for p in photos for f in p["files"]} & {f["hash"] for f in photo.files}:
        raise Conflict("this photo is already there", reason="photo-exists")
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
    if item == PROFILE:
        row = published.space(session, node.node_id)
        return dict(row.profile) if row is not None else {}
    event = published.event(session, node.node_id, item)
    if event is None:
        raise NotFound(f"no event {item!r}", reason="unknown-event")
    return dict(event.body)


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
        f"no photo {key!r}: give its number or hash from the list of photos",
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
