"""Which records name which photo files: the ``photo_refs`` table, and the photos a page shows.

The rows follow the published state: each stored page's ``space.profile`` and ``event.put``
entries replace the refs of their record (the profile, or the event by id) in the page's own
transaction, through the :class:`node.projection.Watcher` below. ``event.cancel`` keeps them (a
cancelled event's page still shows it). A file no current record names is *unreferenced*: a
cached copy of a peer's file may then be evicted (``node.photos.fetching``).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, select, tuple_
from sqlalchemy.orm import Session

from federation.entries import Entry
from node.bulk import insert_rows
from node.photos.models import PhotoFile, PhotoRef
from node.projection import Watcher

PROFILE = ""  # the ``item`` of a space's profile; an event's is its id
_CHUNK = 400  # (origin, item) pairs per statement


def _item(entry: Entry) -> str | None:
    if entry.type == "space.profile":
        return PROFILE
    if entry.type == "event.put":
        return str(entry.body["id"])
    return None


def refs_of(origin: str, item: str, body: dict[str, Any]) -> list[dict[str, Any]]:
    """The rows naming the files of ``body``'s photos."""
    return [
        {
            "origin": origin,
            "item": item,
            "hash": f["hash"],
            "photo": index,
            "alt": photo["alt"],
            "media_type": f["type"],
            "size": f["size"],
            "width": f["width"],
            "height": f["height"],
        }
        for index, photo in enumerate(body.get("photos", ()))
        for f in photo["files"]
    ]


def apply_page(session: Session, entries: Sequence[Entry]) -> None:
    """Replace the refs of every record the page publishes again with its latest body's."""
    latest: dict[tuple[str, str], Entry] = {}
    for entry in entries:
        item = _item(entry)
        if item is not None:
            latest[(entry.origin, item)] = entry
    if not latest:
        return
    keys = list(latest)
    for start in range(0, len(keys), _CHUNK):
        chunk = keys[start : start + _CHUNK]
        session.execute(delete(PhotoRef).where(tuple_(PhotoRef.origin, PhotoRef.item).in_(chunk)))
    rows = [
        row for (origin, item), entry in latest.items() for row in refs_of(origin, item, entry.body)
    ]
    if rows:
        insert_rows(session, PhotoRef.__table__, rows)  # type: ignore[arg-type]


def drop_origin(session: Session, origin: str) -> None:
    """Forget the refs of an origin's records (its files become unreferenced)."""
    session.execute(delete(PhotoRef).where(PhotoRef.origin == origin))


PHOTO_WATCHERS = (Watcher("photo-refs", apply_page, drop_origin),)


# -- what pages show --------------------------------------------------------------------------


@dataclass(frozen=True)
class ShownPhoto:
    """A photo as a page shows it: the files this node holds, narrowest first."""

    alt: str
    files: tuple[PhotoRef, ...]

    @property
    def src(self) -> str:
        """The widest file: the fallback ``src`` and the OpenGraph image."""
        return photo_url(self.files[-1].hash)

    @property
    def width(self) -> int:
        return self.files[-1].width

    @property
    def height(self) -> int:
        return self.files[-1].height

    @property
    def srcset(self) -> str:
        return ", ".join(f"{photo_url(f.hash)} {f.width}w" for f in self.files)


def photo_url(digest: str, external: bool = False) -> str:
    """The public URL of a photo file on this node."""
    from flask import url_for

    return url_for("photos.photo", digest=digest, _external=external)


def shown(
    session: Session, keys: Collection[tuple[str, str]]
) -> dict[tuple[str, str], list[ShownPhoto]]:
    """The photos of each record ``(origin, item)``, in the body's order, with only the files
    whose verified bytes this node holds; a photo with none is left out (two statements)."""
    if not keys:
        return {}
    wanted = list(keys)
    rows: list[PhotoRef] = []
    for start in range(0, len(wanted), _CHUNK):
        chunk = wanted[start : start + _CHUNK]
        rows += session.scalars(
            select(PhotoRef)
            .join(PhotoFile, PhotoFile.hash == PhotoRef.hash)
            .where(tuple_(PhotoRef.origin, PhotoRef.item).in_(chunk), PhotoFile.stored.is_(True))
            .order_by(PhotoRef.origin, PhotoRef.item, PhotoRef.photo, PhotoRef.width)
        )
    grouped: dict[tuple[str, str], dict[int, list[PhotoRef]]] = {}
    for row in rows:
        grouped.setdefault((row.origin, row.item), {}).setdefault(row.photo, []).append(row)
    return {
        key: [ShownPhoto(files[0].alt, tuple(files)) for _index, files in sorted(photos.items())]
        for key, photos in grouped.items()
    }
