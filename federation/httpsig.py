"""RFC 9421 HTTP Message Signatures on node-to-node requests (protocol.md §HTTP message signatures).

Every inbox request carries one signature labelled ``spazi`` over ``@method``, ``@target-uri``
and ``content-digest`` (RFC 9530, SHA-256 of the body), with the parameters ``created``,
``keyid``, ``alg``, ``expires``, ``nonce`` and ``tag``:

- ``keyid`` is ``<node did>#<kid>``: the key is bound to the node id it signs for, and the verifier
  resolves it only from its own :class:`~federation.keyring.Keyring`, never from a URL in the
  request (protocol.md §HTTP message signatures, Key binding). The key must be one of that
  node's keys valid now.
- ``alg`` is ``"ed25519"`` and ``tag`` is ``"spazi"``: the signed tag marks the signature as a
  Spazi one, so a signature made by the same key for another application cannot be taken for it.
- ``created``/``expires`` bound the replay window to at most :data:`MAX_SIGNATURE_TTL` seconds;
  ``nonce`` makes each request unique, and the receiver remembers (sender, nonce) until
  ``expires`` to refuse a replay.

Signature bases are built and checked by the ``http-message-signatures`` library; this module adds
Spazi's policy and maps each refusal to a stable reason from :data:`HTTPSIG_REASONS`.
Times here are Unix *seconds*, as RFC 9421 writes them.
"""

from __future__ import annotations

import datetime
import hmac
import re
import secrets
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Final

import requests
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from http_message_signatures import (
    ContentDigest,
    HTTPMessageSigner,
    HTTPMessageVerifier,
    HTTPSignatureKeyResolver,
    InvalidSignature,
    algorithms,
)
from http_message_signatures.exceptions import HTTPMessageSignaturesException

from federation.encoding import sha256_hex
from federation.errors import HttpSignatureError
from federation.keylookup import find_key, valid_during_second
from federation.keyring import Keyring
from federation.keys import NodeKey, is_node_id

SIGNATURE_LABEL: Final = "spazi"
SIGNATURE_TAG: Final = "spazi"
SIGNATURE_ALG: Final = "ed25519"
COVERED_COMPONENTS: Final = ("@method", "@target-uri", "content-digest")
DEFAULT_SIGNATURE_TTL: Final = 300
MAX_SIGNATURE_TTL: Final = 300
"""Longest allowed ``expires - created``, and oldest accepted ``created``, in seconds."""
CLOCK_SKEW: Final = 30
"""Seconds of clock difference tolerated between two nodes."""

HTTPSIG_REASONS: Final = {
    "missing-signature": "no Signature-Input/Signature with a well-formed 'spazi' signature",
    "malformed-signature": "the signature's parameters or covered components break Spazi's rules",
    "bad-keyid": "keyid is not '<did:key node id>#<z6Mk… key name>'",
    "unknown-key": "keyid is not a key of that node valid now",
    "bad-signature": "the signature does not verify over the request as received",
    "digest-mismatch": "Content-Digest is missing, not sha-256 alone, or not the body's digest",
    "expired": "expires is past, or created is older than the replay window",
    "created-in-future": "created is later than now",
    "replayed": "this signature (sender and nonce) was already accepted",
}
"""Every reason ``verify_request`` can refuse with."""

_NONCE = re.compile(r"[A-Za-z0-9_\-]{16,64}")
_KID = re.compile(r"z[1-9A-HJ-NP-Za-km-z]{40,60}")
_MAX_SECONDS = 10**11
_PARAMETERS = frozenset({"created", "keyid", "alg", "expires", "nonce", "tag"})


def _check_seconds(now: int) -> None:
    if not isinstance(now, int) or isinstance(now, bool) or not 0 <= now < _MAX_SECONDS:
        raise ValueError("now must be Unix time in whole seconds (not milliseconds)")


def _utc(seconds: int) -> datetime.datetime:
    return datetime.datetime.fromtimestamp(seconds, tz=datetime.UTC)


def key_id_for(node_id: str, kid: str) -> str:
    """The RFC 9421 ``keyid`` of a node's key: ``<did>#<kid>`` (a did:key DID URL)."""
    return f"{node_id}#{kid}"


def parse_keyid(keyid: Any) -> tuple[str, str]:
    """Split a ``keyid`` into (node id, kid); raise ``HttpSignatureError('bad-keyid')``."""
    if not isinstance(keyid, str) or keyid.count("#") != 1:
        raise HttpSignatureError("bad-keyid", "keyid must be '<node did>#<kid>'")
    node_id, kid = keyid.split("#")
    if not is_node_id(node_id) or not _KID.fullmatch(kid):
        raise HttpSignatureError("bad-keyid", "keyid must be '<node did>#<kid>'")
    return node_id, kid


def content_digest(body: bytes) -> str:
    """The ``Content-Digest`` value Spazi sends: ``sha-256=:<base64 of SHA-256(body)>:``."""
    return ContentDigest.create(body)


class _OneKey(HTTPSignatureKeyResolver):
    """Hands the library the one key this call already chose (signing or verifying)."""

    def __init__(self, private: Any = None, public: Ed25519PublicKey | None = None) -> None:
        self.private, self.public = private, public

    def resolve_private_key(self, key_id: str) -> Any:
        return self.private

    def resolve_public_key(self, key_id: str) -> Any:
        return self.public


def _body_bytes(body: Any) -> bytes:
    if body is None:
        return b""
    if isinstance(body, bytes):
        return body
    if isinstance(body, str):
        return body.encode("utf-8")
    raise TypeError("only requests with a bytes (or str) body can be signed")


def sign_request(
    request: requests.PreparedRequest,
    key: NodeKey,
    node_id: str,
    now: int,
    ttl: int = DEFAULT_SIGNATURE_TTL,
    *,
    nonce: str | None = None,
) -> requests.PreparedRequest:
    """Sign ``request`` in place as ``node_id`` with ``key``; also return it.

    Adds ``Content-Digest``, ``Signature-Input`` and ``Signature``. ``now`` is Unix seconds,
    ``ttl`` at most :data:`MAX_SIGNATURE_TTL`. ``nonce`` is random unless given (known-answer
    tests only). The URL signed is the request's final URL: sign after every redirect decision.
    """
    _check_seconds(now)
    if not isinstance(ttl, int) or not 1 <= ttl <= MAX_SIGNATURE_TTL:
        raise ValueError(f"ttl must be 1..{MAX_SIGNATURE_TTL} seconds")
    if not is_node_id(node_id):
        raise ValueError("node_id must be an Ed25519 did:key")
    nonce = nonce if nonce is not None else secrets.token_urlsafe(16)
    if not _NONCE.fullmatch(nonce):
        raise ValueError("nonce must be 16..64 base64url characters")
    body = _body_bytes(request.body)
    for name in ("Content-Digest", "Signature", "Signature-Input"):
        request.headers.pop(name, None)  # a re-sent request is signed afresh
    signer = HTTPMessageSigner(
        signature_algorithm=algorithms.ED25519, key_resolver=_OneKey(private=key.private)
    )
    signer.sign(
        request,
        key_id=key_id_for(node_id, key.kid),
        created=_utc(now),
        expires=_utc(now + ttl),
        nonce=nonce,
        label=SIGNATURE_LABEL,
        tag=SIGNATURE_TAG,
        include_alg=True,
        covered_component_ids=COVERED_COMPONENTS[:2],
        body=body,  # the library adds content-digest and covers it, last
    )
    return request


@dataclass
class _Message:
    """The request as the verifier received it, in the shape the library resolves."""

    method: str
    url: str
    headers: _Fields


class _Fields:
    """Header field lines in wire order (repeated names kept), read-only."""

    def __init__(self, lines: list[tuple[str, str]]) -> None:
        self._lines = lines

    def items(self) -> list[tuple[str, str]]:
        return list(self._lines)

    def __iter__(self) -> Any:
        return iter(dict.fromkeys(name for name, _ in self._lines))

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and any(n.lower() == name.lower() for n, _ in self._lines)

    def values_of(self, name: str) -> list[str]:
        return [v for n, v in self._lines if n.lower() == name.lower()]


@dataclass(frozen=True)
class VerifiedRequest:
    """What a verified signature established."""

    node_id: str
    kid: str
    created: int
    expires: int
    nonce: str
    signature_id: str


class _SpaziVerifier(HTTPMessageVerifier):
    """The library's verifier with Spazi's policy run, with our clock, before any crypto.

    The library calls ``validate_created_and_expires`` for the selected signature before it
    resolves the key; errors raised there propagate unchanged, so each gets its own reason.
    """

    def __init__(
        self, keyring: Keyring, now: int, max_age: int, headers: _Fields, resolver: _OneKey
    ) -> None:
        super().__init__(signature_algorithm=algorithms.ED25519, key_resolver=resolver)
        self.keyring, self.now, self.max_age, self.fields = keyring, now, max_age, headers
        self.resolver = resolver
        self.checked: VerifiedRequest | None = None

    def validate_created_and_expires(self, sig_input: Any, max_age: Any = None) -> None:
        params = dict(sig_input.params)
        self._check_components([(item.value, dict(item.params)) for item in sig_input])
        if set(params) != _PARAMETERS:
            missing = sorted(_PARAMETERS - set(params))
            extra = sorted(set(params) - _PARAMETERS)
            raise HttpSignatureError(
                "malformed-signature", f"parameters missing {missing}, unexpected {extra}"
            )
        if params["alg"] != SIGNATURE_ALG or params["tag"] != SIGNATURE_TAG:
            raise HttpSignatureError("malformed-signature", "alg must be ed25519 and tag spazi")
        nonce = params["nonce"]
        if not (isinstance(nonce, str) and _NONCE.fullmatch(nonce)):
            raise HttpSignatureError("malformed-signature", "nonce must be 16..64 base64url chars")
        created, expires = params["created"], params["expires"]
        if type(created) is not int or type(expires) is not int:
            raise HttpSignatureError("malformed-signature", "created and expires are integers")
        if not 0 < expires - created <= MAX_SIGNATURE_TTL:
            raise HttpSignatureError(
                "malformed-signature", f"expires must be 1..{MAX_SIGNATURE_TTL}s after created"
            )
        if created > self.now + CLOCK_SKEW:
            raise HttpSignatureError("created-in-future", f"created {created} > now {self.now}")
        if expires + CLOCK_SKEW < self.now:
            raise HttpSignatureError("expired", f"expired at {expires}")
        if created + self.max_age + CLOCK_SKEW < self.now:
            raise HttpSignatureError("expired", f"created {created} is older than {self.max_age}s")
        node_id, kid = parse_keyid(params["keyid"])
        period = find_key(self.keyring, node_id, kid)
        if period is None or not valid_during_second(period, self.now):
            raise HttpSignatureError("unknown-key", f"{kid} is not a current key of {node_id}")
        self._check_digest_field()
        self.resolver.public = period.public
        self.checked = VerifiedRequest(
            node_id=node_id,
            kid=kid,
            created=created,
            expires=expires,
            nonce=nonce,
            signature_id=sha256_hex(f"{node_id}\n{nonce}".encode()),
        )

    @staticmethod
    def _check_components(items: list[tuple[Any, dict[str, Any]]]) -> None:
        names = [name for name, _ in items]
        if sorted(names) != sorted(COVERED_COMPONENTS) or any(params for _, params in items):
            raise HttpSignatureError(
                "malformed-signature", f"covered components must be {list(COVERED_COMPONENTS)}"
            )

    def _check_digest_field(self) -> None:
        if len(self.fields.values_of("content-digest")) != 1:
            raise HttpSignatureError("digest-mismatch", "exactly one Content-Digest is required")


def _header_lines(headers: Mapping[str, str] | Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    pairs = headers.items() if isinstance(headers, Mapping) else headers
    lines: list[tuple[str, str]] = []
    for name, value in pairs:
        if not isinstance(name, str) or not isinstance(value, str):
            raise HttpSignatureError("missing-signature", "header names and values are text")
        lines.append((name, value))
    return lines


def verify_request_details(
    method: str,
    url: str,
    headers: Mapping[str, str] | Iterable[tuple[str, str]],
    body: bytes,
    keyring: Keyring,
    now: int,
    *,
    seen: Callable[[str, int], bool],
    max_age: int = MAX_SIGNATURE_TTL,
) -> VerifiedRequest:
    """Like :func:`verify_request`, returning everything the signature established."""
    _check_seconds(now)
    if not 1 <= max_age <= MAX_SIGNATURE_TTL:
        raise ValueError(f"max_age must be 1..{MAX_SIGNATURE_TTL} seconds")
    if not isinstance(body, bytes):
        raise TypeError("body must be the raw bytes received")
    fields = _Fields(_header_lines(headers))
    if "signature" not in fields or "signature-input" not in fields:
        raise HttpSignatureError("missing-signature", "Signature and Signature-Input are required")
    resolver = _OneKey()
    verifier = _SpaziVerifier(keyring, now, max_age, fields, resolver)
    message = _Message(method=method.upper(), url=url, headers=fields)
    try:
        verifier.verify(
            message,
            max_age=None,  # our own window, with our clock, in validate_created_and_expires
            expect_tag=SIGNATURE_TAG,
            expect_label=SIGNATURE_LABEL,
        )
    except HttpSignatureError:
        raise
    except InvalidSignature as exc:
        if verifier.checked is None:
            # The library refused before our policy ran: no well-formed spazi signature.
            raise HttpSignatureError("missing-signature", str(exc)) from exc
        raise HttpSignatureError("bad-signature", str(exc)) from exc
    except HTTPMessageSignaturesException as exc:
        raise HttpSignatureError("bad-signature", str(exc)) from exc
    checked = verifier.checked
    if checked is None:  # pragma: no cover - the library always runs the hook
        raise HttpSignatureError("missing-signature", "no spazi signature was checked")
    # The digest field was covered by the signature; now it must match the body received.
    (field,) = fields.values_of("content-digest")
    if not hmac.compare_digest(field.strip().encode(), content_digest(body).encode()):
        raise HttpSignatureError("digest-mismatch", "Content-Digest is not sha-256 of the body")
    # Only verified signatures reach the replay store, so forged requests cannot fill it.
    if seen(checked.signature_id, checked.expires + CLOCK_SKEW + 1):
        raise HttpSignatureError("replayed", "this request was already received")
    return checked


def verify_request(
    method: str,
    url: str,
    headers: Mapping[str, str] | Iterable[tuple[str, str]],
    body: bytes,
    keyring: Keyring,
    now: int,
    *,
    seen: Callable[[str, int], bool],
    max_age: int = MAX_SIGNATURE_TTL,
) -> str:
    """Verify a signed node-to-node request; return the verified sender node id.

    ``url`` is the absolute URL under which this node received the request, as the sender had to
    name it (the node's public base URL plus path and query), not a Host header taken on trust:
    it binds the request to this recipient. ``body`` is the raw received bytes, ``now`` Unix
    seconds. ``seen(signature_id, keep_until)`` records a verified signature and returns True if
    it was recorded before; the store keeps ids until ``keep_until`` (seconds). Raises
    :class:`HttpSignatureError` with a reason from :data:`HTTPSIG_REASONS`.
    """
    return verify_request_details(
        method, url, headers, body, keyring, now, seen=seen, max_age=max_age
    ).node_id


def check_sender(message: Any, sender_id: str, recipient_id: str | None = None) -> None:
    """Check a signed JSON message's ``from`` (and ``to``) against the verified request.

    A node may only speak for itself: ``from`` must be the node whose key signed the request
    (``sender-mismatch``), and when ``recipient_id`` is given ``to`` must name it
    (``wrong-recipient``), so a message for one node can't be delivered to another.
    """
    if not isinstance(message, Mapping) or message.get("from") != sender_id:
        raise HttpSignatureError("sender-mismatch", "from is not the node that signed the request")
    if recipient_id is not None and message.get("to") != recipient_id:
        raise HttpSignatureError("wrong-recipient", "the message is addressed to another node")
