"""Feed entries: build, sign, hash and verify one entry.

An entry is ``{origin, seq, prev, ts, type, body, sig}``. ``sig`` is Ed25519 over the ``entry`` tag
plus the canonical bytes of the entry without ``sig``; the entry hash is SHA-256 of the canonical
bytes of the whole entry, signature included (protocol.md §Feeds).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, NamedTuple

from federation.canonical import check_document, encode_checked
from federation.encoding import sha256_hex
from federation.errors import EntryError, ProtocolError, SignatureError
from federation.keyring import Keyring, rotation_proof_doc
from federation.keys import NodeKey, is_node_id, verify_entry_signature
from federation.sigbatch import SignatureCheck
from federation.signing import Tag, decode_signature, sign
from federation.version import ENTRY_TYPES, validate_body
from federation.vocabulary import MAX_SEQ

MAX_ENTRY_BYTES = 64 * 1024
MAX_FUTURE_MS = 5 * 60 * 1000
ENTRY_FIELDS = frozenset({"origin", "seq", "prev", "ts", "type", "body", "sig"})
_ENTRY_TAG = Tag.ENTRY.value  # an Enum attribute lookup costs more than it looks, per entry


class Entry(NamedTuple):
    """A verified (or freshly signed) entry with its canonical bytes and hash.

    Immutable like a frozen dataclass, but a named tuple: a sync page builds thousands of these,
    and a frozen dataclass's ``__init__`` (one ``object.__setattr__`` per field) costs about 2%
    of an Ed25519 verification per entry, against a fifth of that for a tuple.
    """

    origin: str
    seq: int
    prev: str | None
    ts: int
    type: str
    body: dict[str, Any]
    sig: str
    hash: str
    raw: bytes

    def to_dict(self) -> dict[str, Any]:
        return {
            "origin": self.origin,
            "seq": self.seq,
            "prev": self.prev,
            "ts": self.ts,
            "type": self.type,
            "body": self.body,
            "sig": self.sig,
        }


def build_entry(
    key: NodeKey,
    origin: str,
    seq: int,
    prev: str | None,
    ts_ms: int,
    entry_type: str,
    body: Mapping[str, Any],
) -> Entry:
    """Validate and sign a new entry; the caller supplies the position (seq, prev) in its feed."""
    doc: dict[str, Any] = {
        "origin": origin,
        "seq": seq,
        "prev": prev,
        "ts": ts_ms,
        "type": entry_type,
        "body": dict(body),
    }
    check_document(doc)
    _check_shape({**doc, "sig": "A" * 86}, signature_expected=False)
    validate_body(entry_type, doc["body"])
    doc["sig"] = sign(key, Tag.ENTRY, doc)
    raw = encode_checked(doc)
    if len(raw) > MAX_ENTRY_BYTES:
        raise EntryError("entry-too-large", f"entry is {len(raw)} bytes, limit {MAX_ENTRY_BYTES}")
    return Entry(hash=sha256_hex(raw), raw=raw, **doc)


_BODY_START = b'{"body":'
_ORIGIN_MEMBER = b',"origin":"'


def body_json(entry: Entry) -> str:
    """The canonical JSON text of ``entry.body``, cut from the entry's canonical bytes.

    Storing a body as JSON needs its text, and encoding it again costs as much as cutting it
    out costs little. Members are sorted, so "body" comes first, and it ends where the
    top-level "origin" member begins: the last occurrence of that member, because only origin,
    prev, seq, sig, ts and type follow it, and none of their values can contain it.
    """
    raw = entry.raw
    end = raw.rfind(_ORIGIN_MEMBER)
    if not raw.startswith(_BODY_START) or end < 0:  # not an entry's canonical bytes
        raise ValueError("body_json needs the canonical bytes of an entry")
    return raw[len(_BODY_START) : end].decode("utf-8")


def rotation_body(
    old_key: NodeKey, new_key: NodeKey, origin: str, seq: int, compromised_since: int | None = None
) -> dict[str, Any]:
    """The body of a ``key.rotate`` entry at ``seq``, with the new key's proof of possession."""
    del old_key  # the old key signs the entry itself; named here so callers pass both keys.
    body: dict[str, Any] = {
        "new_key": new_key.kid,
        "new_key_sig": sign(new_key, Tag.KEY_ROTATE, rotation_proof_doc(origin, seq, new_key.kid)),
    }
    if compromised_since is not None:
        body["compromised_since"] = compromised_since
    return body


def _check_shape(doc: Mapping[str, Any], signature_expected: bool = True) -> None:
    if type(doc) is not dict and not isinstance(doc, Mapping):  # the ABC check is slow
        raise EntryError("malformed-entry", "an entry must be an object")
    if doc.keys() != ENTRY_FIELDS:
        missing = sorted(ENTRY_FIELDS - set(doc))
        extra = sorted(set(doc) - ENTRY_FIELDS)
        raise EntryError("malformed-entry", f"fields missing {missing}, unexpected {extra}")
    seq, prev, ts = doc["seq"], doc["prev"], doc["ts"]
    if not isinstance(seq, int) or isinstance(seq, bool) or not 1 <= seq <= MAX_SEQ:
        raise EntryError("malformed-entry", "seq must be a positive integer")
    if seq == 1:
        if prev is not None:
            raise EntryError("bad-prev", "the first entry has prev null")
    elif not (isinstance(prev, str) and len(prev) == 64 and _is_lower_hex(prev)):
        raise EntryError("malformed-entry", "prev must be a 64-character lowercase hex hash")
    if not isinstance(ts, int) or isinstance(ts, bool) or not 0 <= ts <= MAX_SEQ:
        raise EntryError("malformed-entry", "ts must be milliseconds since the epoch")
    # isinstance first: a list or object as type would make the set lookup raise TypeError.
    if not isinstance(doc["type"], str) or doc["type"] not in ENTRY_TYPES:
        raise EntryError("unknown-entry-type", f"unknown entry type {doc['type']!r}")
    if not isinstance(doc["origin"], str) or not is_node_id(doc["origin"]):
        raise EntryError("malformed-entry", "origin must be an Ed25519 did:key")
    if signature_expected and not (isinstance(doc["sig"], str) and len(doc["sig"]) == 86):
        raise EntryError("bad-signature-encoding", "sig must be 86 base64url characters")


_LOWER_HEX = re.compile(r"[0-9a-f]*")


def _is_lower_hex(text: str) -> bool:
    return _LOWER_HEX.fullmatch(text) is not None


class PendingEntry(NamedTuple):
    """A received entry checked in every way but its signature, with what that check needs."""

    entry: Entry
    kid: str  # the key that must have signed it, named in errors
    check: SignatureCheck


def parse_entry(
    doc: Mapping[str, Any], keyring: Keyring, now_ms: int | None = None, checked: bool = False
) -> Entry:
    """Verify one received entry on its own: shape, size, body, time and origin signature.

    ``checked`` says ``doc`` came from ``parse_strict`` (so the canonical-subset walk is skipped).
    It does not check the entry's place in a feed; ``federation.feeds.verify_page`` does.
    """
    pending = prepare_entry(doc, keyring, now_ms, checked)
    public, signature, message = pending.check
    if not verify_entry_signature(public, signature, message):
        raise bad_signature(pending)
    return pending.entry


def prepare_entry(
    doc: Mapping[str, Any], keyring: Keyring, now_ms: int | None = None, checked: bool = False
) -> PendingEntry:
    """Everything :func:`parse_entry` checks except the signature itself, which is left to the
    caller (``verify_page`` checks a page's signatures together, on several threads)."""
    _check_shape(doc)
    if not checked:
        check_document(doc)
    raw = encode_checked(doc)
    if len(raw) > MAX_ENTRY_BYTES:
        raise EntryError("entry-too-large", f"entry is {len(raw)} bytes, limit {MAX_ENTRY_BYTES}")
    if now_ms is not None and doc["ts"] > now_ms + MAX_FUTURE_MS:
        raise EntryError("future-timestamp", f"entry {doc['seq']} is dated in the future")
    validate_body(doc["type"], doc["body"])
    sig = doc["sig"]
    try:
        signature = decode_signature(sig)
    except ProtocolError as exc:
        raise EntryError("bad-signature-encoding", exc.detail) from exc
    # The signed bytes are the canonical entry without its sig member. "sig" is never the first
    # member and only "ts" (an integer) and "type" (a string) follow it, so the last occurrence of
    # the member in the canonical text is the top-level one; cutting it out saves a second encode.
    member = b',"sig":"' + sig.encode("ascii") + b'"'
    cut = raw.rfind(member)
    if cut < 0:
        raise EntryError("bad-signature-encoding", "sig is not base64url")
    view = memoryview(raw)  # slices of a view are not copies; join makes the one copy needed
    message = b"".join((_ENTRY_TAG, view[:cut], view[cut + len(member) :]))
    try:
        period = keyring.key_for_seq(doc["origin"], doc["seq"])
    except SignatureError as exc:
        raise EntryError("no-key", exc.detail) from exc
    # Positional: keyword arguments cost more, and this runs once per received entry.
    entry = Entry(
        doc["origin"], doc["seq"], doc["prev"], doc["ts"], doc["type"], doc["body"], sig,
        sha256_hex(raw), raw,
    )  # fmt: skip
    return PendingEntry(entry, period.kid, (period.public, signature, message))


def bad_signature(pending: PendingEntry) -> EntryError:
    """The error for a pending entry whose signature did not verify."""
    return EntryError("bad-signature", f"entry {pending.entry.seq} is not signed by {pending.kid}")


def apply_key_change(keyring: Keyring, entry: Entry) -> None:
    """Feed a verified ``key.rotate`` entry into the keyring (no-op for other types)."""
    if entry.type != "key.rotate":
        return
    try:
        keyring.apply_rotation(entry.origin, entry.seq, entry.ts, entry.body)
    except ProtocolError as exc:
        # SignatureError for a bad proof of possession or a reused key, IdentityError for a new_key
        # that has the right alphabet but is not an Ed25519 multicodec key.
        raise EntryError("bad-key-rotation", exc.detail) from exc
