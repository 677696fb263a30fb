"""Ed25519 signatures with one domain-separation tag per kind of document.

The signed message is ``TAG || canonical(document)``. Tags are distinct ASCII lines, so a signature
made for one kind of document never verifies as another (an entry can't be replayed as an
agreement, a descriptor as an entry…).
"""

from __future__ import annotations

import binascii
import re
from enum import Enum
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from federation.canonical import canonicalize
from federation.encoding import b64u_decode, b64u_encode
from federation.errors import ProtocolError, SignatureError
from federation.keys import NodeKey, verify_raw


class Tag(bytes, Enum):
    """Domain-separation tags, one per signed document kind (see protocol.md §Signatures)."""

    ENTRY = b"spazi/v1/entry\n"
    AGREEMENT = b"spazi/v1/agreement\n"
    DESCRIPTOR = b"spazi/v1/descriptor\n"
    KEY_ROTATE = b"spazi/v1/key-rotate\n"


def signing_input(tag: Tag, doc: Any) -> bytes:
    """The exact bytes that get signed for ``doc`` of kind ``tag``."""
    return tag.value + canonicalize(doc)


def sign(key: NodeKey, tag: Tag, doc: Any) -> str:
    """Sign ``doc`` as kind ``tag``; the signature as unpadded base64url."""
    return b64u_encode(key.sign_raw(signing_input(tag, doc)))


# The one spelling of 64 bytes in unpadded base64url: 86 characters of the URL-safe alphabet,
# the last of which carries 2 bits of data and 4 zero bits (so it is A, Q, g or w).
_SIGNATURE_TEXT = re.compile(r"[A-Za-z0-9_-]{85}[AQgw]")
_FROM_URLSAFE = bytes.maketrans(b"-_", b"+/")


def decode_signature(sig: Any) -> bytes:
    """Decode a base64url signature and check it has Ed25519's 64 bytes."""
    # Fast path for the canonical form (every received entry has one); anything else takes the
    # general decoder, which refuses it with the precise reason.
    if type(sig) is str and _SIGNATURE_TEXT.fullmatch(sig):
        return binascii.a2b_base64(sig.encode("ascii").translate(_FROM_URLSAFE) + b"==")
    try:
        raw = b64u_decode(sig)
    except ProtocolError as exc:
        raise SignatureError("bad-signature-encoding", exc.detail) from exc
    if len(raw) != 64:
        raise SignatureError("bad-signature-encoding", "an Ed25519 signature is 64 bytes")
    return raw


def verify(public: Ed25519PublicKey, tag: Tag, doc: Any, sig: Any) -> None:
    """Raise :class:`SignatureError` unless ``sig`` signs ``doc`` as kind ``tag``."""
    if not verify_raw(public, decode_signature(sig), signing_input(tag, doc)):
        raise SignatureError(detail=f"signature does not verify as {tag.name.lower()}")
