"""Which records name which photo files: the ``photo_refs`` table, and the photos a page shows.

The rows follow the published state: each stored page's entries that publish a photographed
record (``space.profile``, ``event.put``, ``resource.put``: node.photos.kinds) replace the refs of
their record in the page's own transaction, through the :class:`node.projection.Watcher` below;
``resource.remove`` drops them. ``event.cancel`` keeps them (a cancelled event's page still shows
it). A file no current record names is *unreferenced*: a
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
from node.photos.kinds import BY_ENTRY, ENDED_BY
from node.photos.kinds import PROFILE as PROFILE  # the profile's item, for callers of refs
from node.photos.models import PhotoFile, PhotoRef
from node.projection import Watcher

_CHUNK = 400  # (origin, item) pairs per statement


def _item(entry: Entry) -> str | None:
    """The ``item`` of the photographed record an entry publishes or ends (node.photos.kinds)."""
    kind = BY_ENTRY.get(entry.type) or ENDED_BY.get(entry.type)
    return kind.item_of(entry.body) if kind is not None else None


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
    # An entry that ends its record (resource.remove) leaves it no refs.
    rows = [
        row
        for (origin, item), entry in latest.items()
        if entry.type not in ENDED_BY
        for row in refs_of(origin, item, entry.body)
    ]
    if rows:
        insert_rows(session, PhotoRef.__table__, rows)  # type: ignore[arg-type]


def drop_origin(session: Session, origin: str) -> None:
    """Forget the refs of an origin's records, and the rows of cached files no record names any
    more (not our own): a blocked origin's photos are no longer served. Their bytes on disk go
    with the next sweep (``node.photos.fetching.sweep``), which needs the node's directory."""
    session.execute(delete(PhotoRef).where(PhotoRef.origin == origin))
    session.execute(
        delete(PhotoFile).where(
            PhotoFile.own.is_(False), PhotoFile.hash.not_in(select(PhotoRef.hash))
        )
    )


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
    whose verified bytes this node holds, of the size and type the record declares; a photo
    with none is left out (two statements)."""
    if not keys:
        return {}
    wanted = list(keys)
    rows: list[PhotoRef] = []
    for start in range(0, len(wanted), _CHUNK):
        chunk = wanted[start : start + _CHUNK]
        rows += session.scalars(
            select(PhotoRef)
            # A descriptor that disagrees with the verified file hides only its own record's
            # photo (protocol.md §Photos "Checking").
            .join(
                PhotoFile,
                (PhotoFile.hash == PhotoRef.hash)
                & (PhotoFile.size == PhotoRef.size)
                & (PhotoFile.media_type == PhotoRef.media_type),
            )
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
