"""Small byte encodings shared by the protocol: unpadded base64url and hex hashes."""

from __future__ import annotations

import binascii
import hashlib

from federation.errors import ProtocolError

# binascii directly rather than base64.urlsafe_*: every received entry's signature is decoded
# (and re-encoded) on the sync hot path, and the wrappers cost more than the work.
_TO_URLSAFE = bytes.maketrans(b"+/", b"-_")
_FROM_URLSAFE = bytes.maketrans(b"-_", b"+/")


def b64u_encode(data: bytes) -> str:
    """Base64url without padding (RFC 4648 §5), as JOSE and RFC 9421 use."""
    encoded = binascii.b2a_base64(data, newline=False).translate(_TO_URLSAFE)
    return encoded.rstrip(b"=").decode("ascii")


def b64u_decode(text: str) -> bytes:
    """Decode unpadded base64url; refuse padding, other alphabets and non-canonical tails."""
    if not isinstance(text, str) or "=" in text:
        raise ProtocolError("bad-encoding", "expected unpadded base64url")
    try:
        padded = text.encode("ascii").translate(_FROM_URLSAFE) + b"=" * (-len(text) % 4)
        data = binascii.a2b_base64(padded)
    except (binascii.Error, ValueError) as exc:
        raise ProtocolError("bad-encoding", "expected unpadded base64url") from exc
    # Re-encoding must give the same text, so one value has one spelling (no malleable tails).
    if b64u_encode(data) != text:
        raise ProtocolError("bad-encoding", "non-canonical base64url")
    return data


def sha256_hex(data: bytes) -> str:
    """Lowercase hex SHA-256, the form of every hash on the wire."""
    return hashlib.sha256(data).hexdigest()
