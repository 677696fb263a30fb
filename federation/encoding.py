"""Small byte encodings shared by the protocol: unpadded base64url and hex hashes."""

from __future__ import annotations

import base64
import binascii
import hashlib

from federation.errors import ProtocolError


def b64u_encode(data: bytes) -> str:
    """Base64url without padding (RFC 4648 §5), as JOSE and RFC 9421 use."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64u_decode(text: str) -> bytes:
    """Decode unpadded base64url; refuse padding, other alphabets and non-canonical tails."""
    if not isinstance(text, str) or "=" in text:
        raise ProtocolError("bad-encoding", "expected unpadded base64url")
    try:
        data = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError) as exc:
        raise ProtocolError("bad-encoding", "expected unpadded base64url") from exc
    # Re-encoding must give the same text, so one value has one spelling (no malleable tails).
    if b64u_encode(data) != text:
        raise ProtocolError("bad-encoding", "non-canonical base64url")
    return data


def sha256_hex(data: bytes) -> str:
    """Lowercase hex SHA-256, the form of every hash on the wire."""
    return hashlib.sha256(data).hexdigest()
