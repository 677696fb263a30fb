"""Ed25519 node keys, ``did:key`` identities and human fingerprints.

A node's id is the ``did:key`` of its genesis key (multicodec ``ed25519-pub`` 0xed01, base58btc,
multibase prefix ``z``). The multibase part alone (``z6Mk…``) names a key everywhere else in the
protocol: it is the ``kid`` of passes and JWKS entries and the key field of ``key.rotate``.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import os
import stat
from dataclasses import dataclass
from pathlib import Path

import base58
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from nacl.bindings import crypto_sign_open
from nacl.exceptions import BadSignatureError

from federation.errors import IdentityError, KeyFileError

_ED25519_MULTICODEC = b"\xed\x01"
DID_KEY_PREFIX = "did:key:"
_MAX_DID_LENGTH = len(DID_KEY_PREFIX) + 64
_SIGNATURE_BYTES = 64


def key_id(public: Ed25519PublicKey) -> str:
    """The multibase name of a public key (``z6Mk…``), used as ``kid``."""
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return "z" + base58.b58encode(_ED25519_MULTICODEC + raw).decode("ascii")


def public_key_from_kid(kid: str) -> Ed25519PublicKey:
    """Parse a ``z6Mk…`` key name back to an Ed25519 public key."""
    if not isinstance(kid, str) or not kid.startswith("z") or len(kid) > 64:
        raise IdentityError(detail=f"not a multibase base58btc key: {kid!r}")
    return _parse_kid(kid)


# Every entry names its origin, so the same few ids are parsed over and over; base58 in pure
# Python costs about a sixth of a signature check. Keys are immutable and failures aren't cached.
@functools.lru_cache(maxsize=4096)
def _parse_kid(kid: str) -> Ed25519PublicKey:
    try:
        data = base58.b58decode(kid[1:])
    except ValueError as exc:
        raise IdentityError(detail="bad base58btc") from exc
    if len(data) != 34 or data[:2] != _ED25519_MULTICODEC:
        raise IdentityError(detail="not an Ed25519 multicodec key")
    public = Ed25519PublicKey.from_public_bytes(data[2:])
    if key_id(public) != kid:  # one key, one spelling
        raise IdentityError(detail="non-canonical key encoding")
    return public


def did_from_public_key(public: Ed25519PublicKey) -> str:
    """``did:key`` of a public key."""
    return DID_KEY_PREFIX + key_id(public)


def public_key_from_did(did: str) -> Ed25519PublicKey:
    """The genesis public key named by a node id."""
    if not isinstance(did, str) or not did.startswith(DID_KEY_PREFIX):
        raise IdentityError(detail=f"not a did:key: {did!r}")
    return public_key_from_kid(did[len(DID_KEY_PREFIX) :])


def is_node_id(value: object) -> bool:
    """True when ``value`` is a well-formed Ed25519 ``did:key``."""
    # The length bound keeps junk out of the cache: no valid id is longer (kids are ≤ 64).
    return isinstance(value, str) and len(value) <= _MAX_DID_LENGTH and _is_node_id(value)


@functools.lru_cache(maxsize=4096)
def _is_node_id(value: str) -> bool:
    # Cached like _parse_kid: every entry's origin (and cohost, peer…) ids go through here.
    try:
        public_key_from_did(value)
    except IdentityError:
        return False
    return True


def fingerprint(node_id: str) -> str:
    """A short human-checkable fingerprint of a node id: 16 base32 letters in four groups.

    Admins read it aloud or compare it on two screens before peering; 80 bits is far beyond what
    anyone could grind to look alike.
    """
    digest = hashlib.sha256(node_id.encode("utf-8")).digest()[:10]
    text = base64.b32encode(digest).decode("ascii")
    return "-".join(text[i : i + 4] for i in range(0, 16, 4))


def verify_entry_signature(public: Ed25519PublicKey, signature: bytes, message: bytes) -> bool:
    """Ed25519 verification of a feed entry's signature, by libsodium (PyNaCl), as a boolean.

    The hot path of sync (every received entry, relayed ones included, protocol.md §Feeds):
    libsodium verifies about three times as fast as ``cryptography`` here, and releases the GIL
    as ``cryptography`` does (:mod:`federation.sigbatch`). It is the stricter of the two: it
    also refuses small-order public keys and R points and non-canonical encodings, which no
    honest signer produces (protocol.md §Feeds). Keys, tokens and HTTP signatures keep
    ``cryptography`` (:func:`verify_raw`).
    """
    if len(signature) != _SIGNATURE_BYTES:
        return False
    try:
        crypto_sign_open(signature + message, public.public_bytes_raw())
    except BadSignatureError:
        return False
    return True


def verify_raw(public: Ed25519PublicKey, signature: bytes, message: bytes) -> bool:
    """Ed25519 verification as a boolean."""
    try:
        public.verify(signature, message)
    except InvalidSignature:
        return False
    return True


@dataclass(frozen=True)
class NodeKey:
    """A node's private signing key with its derived names."""

    private: Ed25519PrivateKey

    @classmethod
    def generate(cls) -> NodeKey:
        """A fresh random key."""
        return cls(Ed25519PrivateKey.generate())

    @classmethod
    def from_seed(cls, seed: bytes) -> NodeKey:
        """A key from a 32-byte seed (known-answer tests and vectors only)."""
        return cls(Ed25519PrivateKey.from_private_bytes(seed))

    @property
    def public(self) -> Ed25519PublicKey:
        return self.private.public_key()

    @property
    def kid(self) -> str:
        return key_id(self.public)

    @property
    def did(self) -> str:
        return did_from_public_key(self.public)

    def sign_raw(self, message: bytes) -> bytes:
        return self.private.sign(message)

    def to_pem(self, passphrase: bytes | None = None) -> bytes:
        """PKCS#8 PEM, encrypted when a passphrase is given."""
        encryption: serialization.KeySerializationEncryption = (
            serialization.BestAvailableEncryption(passphrase)
            if passphrase
            else serialization.NoEncryption()
        )
        return self.private.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption
        )

    def save(self, path: str | os.PathLike[str], passphrase: bytes | None = None) -> None:
        """Write the key to a new file readable by the owner only (mode 0600).

        The file is created with 0600 from the start (no window where it is world-readable) and an
        existing file is never overwritten: losing a node key loses the node's identity.
        """
        data = self.to_pem(passphrase)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError as exc:
            raise KeyFileError("key-exists", f"{path} already exists; not overwriting") from exc
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.chmod(path, 0o600)

    @classmethod
    def load(cls, path: str | os.PathLike[str], passphrase: bytes | None = None) -> NodeKey:
        """Load a key file, refusing one that group or others can read."""
        file = Path(path)
        try:
            mode = file.stat().st_mode
        except FileNotFoundError as exc:
            raise KeyFileError("key-missing", f"{file} does not exist") from exc
        if mode & (stat.S_IRWXG | stat.S_IRWXO):
            raise KeyFileError(
                "key-file-unsafe",
                f"{file} is readable by others (mode {stat.S_IMODE(mode):04o}); "
                f"run: chmod 600 {file}",
            )
        try:
            private = serialization.load_pem_private_key(file.read_bytes(), password=passphrase)
        except (ValueError, TypeError) as exc:
            raise KeyFileError(
                "key-unreadable", f"{file} is not a PEM key or the passphrase is wrong"
            ) from exc
        if not isinstance(private, Ed25519PrivateKey):
            raise KeyFileError("key-not-ed25519", f"{file} is not an Ed25519 key")
        return cls(private)
