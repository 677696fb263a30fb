"""Photo descriptors in bodies and the check of fetched bytes (protocol.md §Photos)."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from federation.encoding import sha256_hex
from federation.errors import BodyError
from federation.photos import (
    MAX_PHOTO_BYTES,
    MAX_PHOTOS,
    PhotoMismatch,
    check_fetched_photo,
    check_photo_bytes,
    photo_files,
    sniff_type,
)
from federation.version import V1

JPEG = b"\xff\xd8\xff\xe0" + b"jpeg bytes" * 10
PNG = b"\x89PNG\r\n\x1a\n" + b"png bytes" * 10
WEBP = b"RIFF\x10\x00\x00\x00WEBPVP8 " + b"webp" * 10


def descriptor(data: bytes, media_type: str = "image/jpeg", width: int = 480) -> dict[str, Any]:
    return {
        "hash": sha256_hex(data),
        "type": media_type,
        "size": len(data),
        "width": width,
        "height": width // 2,
    }


def photo(*widths: int, alt: str = "The main room") -> dict[str, Any]:
    return {
        "alt": alt,
        "files": [descriptor(JPEG + bytes([w % 256, w // 256]), width=w) for w in widths],
    }


PROFILE = {"name": "Spazio A", "timezone": "Europe/Rome"}
EVENT = {
    "id": "ev-1",
    "title": "Colazione",
    "start": "2026-01-15T09:00",
    "end": "2026-01-15T10:30",
    "timezone": "Europe/Rome",
}


@pytest.mark.parametrize("entry_type, base", [("space.profile", PROFILE), ("event.put", EVENT)])
def test_profiles_and_events_carry_photos(entry_type: str, base: dict[str, Any]) -> None:
    body = {**base, "photos": [photo(480, 960, 1600), photo(300, alt="")]}
    V1.validate_body(entry_type, body)
    assert len(photo_files(body)) == 4


@pytest.mark.parametrize(
    "change",
    [
        lambda b: b["photos"][0]["files"].clear(),  # no file
        lambda b: b["photos"][0]["files"].reverse(),  # widths must grow
        lambda b: b["photos"][0]["files"].append(dict(b["photos"][0]["files"][0])),  # repeated
        lambda b: b["photos"][0]["files"][0].update(type="image/svg+xml"),
        lambda b: b["photos"][0]["files"][0].update(type="image/gif"),
        lambda b: b["photos"][0]["files"][0].update(size=MAX_PHOTO_BYTES + 1),
        lambda b: b["photos"][0]["files"][0].update(size=0),
        lambda b: b["photos"][0]["files"][0].update(hash="A" * 64),
        lambda b: b["photos"][0]["files"][0].update(width=0),
        lambda b: b["photos"][0]["files"][0].update(height=10_001),
        lambda b: b["photos"][0]["files"][0].update(url="https://elsewhere.example/x.jpg"),
        lambda b: b["photos"][0].pop("alt"),
        lambda b: b["photos"][0].update(alt="x" * 301),
        lambda b: b["photos"][0].update(alt="two\nlines"),
        lambda b: b["photos"].extend([photo(100 + i) for i in range(MAX_PHOTOS)]),
        lambda b: b["photos"][0]["files"].extend([descriptor(PNG, width=w) for w in (2, 3, 4, 5)]),
        lambda b: b["photos"].append(b["photos"][0]),  # one file named by two photos
    ],
)
@pytest.mark.parametrize("entry_type, base", [("space.profile", PROFILE), ("event.put", EVENT)])
def test_bad_descriptors_are_refused(entry_type: str, base: dict[str, Any], change: Any) -> None:
    body = {**copy.deepcopy(base), "photos": [photo(480, 960)]}
    change(body)
    with pytest.raises(BodyError):
        V1.validate_body(entry_type, body)


@pytest.mark.parametrize(
    "data, media_type", [(JPEG, "image/jpeg"), (PNG, "image/png"), (WEBP, "image/webp")]
)
def test_matching_bytes_are_accepted(data: bytes, media_type: str) -> None:
    assert sniff_type(data) == media_type
    check_photo_bytes(data, descriptor(data, media_type))


def test_bytes_that_do_not_match_are_refused() -> None:
    good = descriptor(JPEG)
    tampered = JPEG[:-1] + b"X"
    with pytest.raises(PhotoMismatch, match="hash"):
        check_photo_bytes(tampered, good)
    with pytest.raises(PhotoMismatch, match="bytes"):
        check_photo_bytes(JPEG + b"!", good)
    # The right hash, but not the type the signed descriptor says (an SVG or HTML file
    # named as a JPEG stays refused, whoever signed it).
    svg = b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>"
    with pytest.raises(PhotoMismatch, match="image/jpeg"):
        check_photo_bytes(svg, descriptor(svg))
    assert sniff_type(b"RIFF\x00\x00\x00\x00WAVEfmt ") is None


def test_a_fetched_file_is_checked_against_its_hash_and_gets_its_sniffed_type() -> None:
    # What records declare is compared where they are shown; a fetch needs only the hash.
    assert check_fetched_photo(PNG, sha256_hex(PNG)) == "image/png"
    assert check_fetched_photo(WEBP, sha256_hex(WEBP)) == "image/webp"
    with pytest.raises(PhotoMismatch, match="hash"):
        check_fetched_photo(JPEG[:-1] + b"X", sha256_hex(JPEG))
    svg = b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>"
    with pytest.raises(PhotoMismatch, match="not a JPEG, PNG or WebP"):
        check_fetched_photo(svg, sha256_hex(svg))


def test_the_vector_file_matches_its_descriptor_and_the_entries_continue_a_feed() -> None:
    import json
    from pathlib import Path

    from federation.encoding import b64u_decode
    from federation.feeds import Head, verify_page
    from federation.keyring import Keyring

    vectors = Path(__file__).resolve().parent.parent / "vectors"
    photos = json.loads((vectors / "photos.json").read_text(encoding="utf-8"))
    feed = json.loads((vectors / "entries.json").read_text(encoding="utf-8"))
    data = b64u_decode(photos["file"]["base64url"])
    check_photo_bytes(data, photos["file"]["descriptor"])
    assert photos["file"]["path"] == f"/federation/v1/photos/{sha256_hex(data)}"
    with pytest.raises(PhotoMismatch):
        check_photo_bytes(data[:-1] + b"\x00", photos["file"]["descriptor"])
    ring = Keyring()
    entries = [v["entry"] for v in feed["entries"]] + [v["entry"] for v in photos["entries"]]
    verified = verify_page(photos["origin"], Head(), entries, ring, entries[-1]["ts"])
    assert [e.type for e in verified[-3:]] == ["space.profile", "event.put", "resource.put"]
    assert all(photo_files(e.body) == [photos["file"]["descriptor"]] for e in verified[-3:])
