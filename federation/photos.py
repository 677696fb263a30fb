"""Photos of spaces and events (protocol.md §Photos): the descriptor a body carries and the check
of fetched bytes against it.

A signed ``space.profile`` or ``event.put`` names each photo by the SHA-256 of its files; the
bytes travel separately (``GET /federation/v1/photos/<hash>``) from the origin or any relay. The
signature covers the hash, so bytes from anyone are as good as the origin's once they match it,
and bytes that do not match are refused and never shown.
"""

from __future__ import annotations

from collections.abc import Mapping
from itertools import pairwise
from typing import Any

from federation.encoding import sha256_hex
from federation.errors import BodyError, ProtocolError
from federation.schema import HEX64, Obj, array, integer, one_of, req, string

# protocol.md §Size limits: one photo file, one photo's widths, the photos of one body.
MAX_PHOTO_BYTES = 2 * 1024 * 1024
MAX_PHOTO_SIDE = 10_000
MAX_FILES_PER_PHOTO = 4
MAX_PHOTOS = 8
MAX_ALT = 300

# The media types a photo file may have, each with the bytes its files start with. Only raster
# formats: an SVG is a document that can run script, so it is never a photo.
PHOTO_TYPES: Mapping[str, tuple[bytes, ...]] = {
    "image/jpeg": (b"\xff\xd8\xff",),
    "image/png": (b"\x89PNG\r\n\x1a\n",),
    "image/webp": (b"RIFF",),  # and "WEBP" at offset 8, checked below
}

PHOTO_FILE = Obj(
    {
        "hash": req(HEX64),
        "type": req(one_of(*PHOTO_TYPES)),
        "size": req(integer(1, MAX_PHOTO_BYTES)),
        "width": req(integer(1, MAX_PHOTO_SIDE)),
        "height": req(integer(1, MAX_PHOTO_SIDE)),
    }
)

PHOTO = Obj(
    {
        # What the photo shows, for people who cannot see it; empty for a decorative photo.
        "alt": req(string(MAX_ALT)),
        "files": req(array(PHOTO_FILE, MAX_FILES_PER_PHOTO)),
    }
)

PHOTOS = array(PHOTO, MAX_PHOTOS)


class PhotoMismatch(ProtocolError):
    """Bytes received for a photo file are not the file the signed descriptor names."""

    reason = "photo-mismatch"


def check_photos(body: Mapping[str, Any]) -> None:
    """A body's ``photos`` across fields: each photo has one to four files, in strictly
    increasing width, and no file appears twice in the body."""
    seen: set[str] = set()
    for index, photo in enumerate(body.get("photos", ())):
        files = photo["files"]
        if not files:
            raise BodyError(detail=f"photos[{index}].files is empty")
        widths = [f["width"] for f in files]
        if any(a >= b for a, b in pairwise(widths)):
            raise BodyError(detail=f"photos[{index}].files must grow strictly in width")
        for item in files:
            if item["hash"] in seen:
                raise BodyError(detail=f"photos[{index}] repeats the file {item['hash']}")
            seen.add(item["hash"])


def photo_files(body: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """Every file descriptor of a (valid) body's photos, in order."""
    return [item for photo in body.get("photos", ()) for item in photo["files"]]


def sniff_type(data: bytes) -> str | None:
    """The photo media type ``data`` starts like, or None."""
    for media_type, magics in PHOTO_TYPES.items():
        if any(data.startswith(magic) for magic in magics):
            if media_type == "image/webp" and data[8:12] != b"WEBP":
                continue
            return media_type
    return None


def check_photo_bytes(data: bytes, descriptor: Mapping[str, Any]) -> None:
    """Refuse ``data`` unless it is the file ``descriptor`` names: its size, its SHA-256 and the
    leading bytes of its media type (protocol.md §Photos). Raises :class:`PhotoMismatch`."""
    if len(data) != descriptor["size"]:
        raise PhotoMismatch(detail=f"{len(data)} bytes, the descriptor says {descriptor['size']}")
    digest = sha256_hex(data)
    if digest != descriptor["hash"]:
        raise PhotoMismatch(detail=f"the bytes hash to {digest}, not {descriptor['hash']}")
    if sniff_type(data) != descriptor["type"]:
        raise PhotoMismatch(detail=f"the bytes are not {descriptor['type']}")


def check_fetched_photo(data: bytes, digest: str) -> str:
    """Refuse ``data`` unless its SHA-256 is ``digest`` and it starts like a photo type; its
    media type. A fetch checks only what the signed hash fixes: which size and type a record
    declared is compared with the verified file where it is shown (protocol.md §Photos), so one
    record's wrong descriptor cannot stop another record's photo of the same file."""
    found = sha256_hex(data)
    if found != digest:
        raise PhotoMismatch(detail=f"the bytes hash to {found}, not {digest}")
    media_type = sniff_type(data)
    if media_type is None:
        raise PhotoMismatch(detail="the bytes are not a JPEG, PNG or WebP file")
    return media_type


def photo_path(version_prefix: str, digest: str) -> str:
    """The path of a photo file under a node's base URL."""
    return f"{version_prefix}photos/{digest}"
