"""Guest passes: compact JWS tokens (RFC 7515) signed with EdDSA (RFC 8037), and JWKS.

A member's home node issues a pass naming the host node that should let the member in. The host's
front desk verifies it offline, with keys it mirrored from the home node's feed, and gets either
the claims or one reason from :data:`PASS_REASONS` to show (protocol.md §Guest passes).

The token is an ordinary JWT so any JOSE library can check it, with three Spazi rules on top:
the header is exactly ``{"alg": "EdDSA", "kid": <z6Mk…>, "typ": "spazi-pass+jwt"}``; the claims are
a closed set; and the verifying key comes only from the host's keyring by (``iss``, ``kid``),
never from the token (no ``jwk``/``jku``/``x5u``), and must have been valid when the pass was
issued.
"""

from __future__ import annotations

import itertools
import re
import secrets
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, date, datetime
from typing import Any, Final

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from federation.agreements import agreement_id as compute_agreement_id
from federation.agreements import grant_for, is_active
from federation.canonical import canonicalize, parse_strict
from federation.encoding import b64u_decode, b64u_encode, sha256_hex
from federation.errors import CanonicalError, PassError, ProtocolError
from federation.keylookup import find_key, valid_during_second
from federation.keyring import KeyPeriod, Keyring
from federation.keys import NodeKey, is_node_id, key_id

PASS_TYP: Final = "spazi-pass+jwt"  # noqa: S105 - a media type, not a secret
PASS_ALG: Final = "EdDSA"  # noqa: S105 - an algorithm name
DEFAULT_PASS_TTL: Final = 24 * 3600
"""Default lifetime of a pass, in seconds: revocation is never instant, so passes are short."""
MAX_PASS_TTL: Final = 7 * 24 * 3600
"""No pass may be valid longer than this (exp - iat), issued or received."""
DEFAULT_LEEWAY: Final = 60
"""Seconds of clock difference tolerated between the home node and the front desk."""
MAX_PASS_BYTES: Final = 2048
"""Tokens longer than this are refused before any parsing (a real pass is about 700 bytes)."""

MAX_NAME_CHARS: Final = 64
PASS_HEADER_FIELDS: Final = frozenset({"alg", "kid", "typ"})
PASS_CLAIMS: Final = frozenset({"iss", "aud", "sub", "name", "agr", "jti", "iat", "nbf", "exp"})

PASS_REASONS: Final = {
    "malformed": "This is not a readable Spazi guest pass.",
    "bad-signature": "The pass is not validly signed by its home space.",
    "unknown-issuer": "The pass was signed with a key its home space does not (or did not) hold.",
    "wrong-host": "The pass was issued for another space.",
    "not-yet-valid": "The pass is not valid yet.",
    "expired": "The pass has expired.",
    "revoked": "The home space has revoked this pass.",
    "no-agreement": "There is no active twinning agreement covering this visit today.",
}
"""Every reason ``verify_pass`` can refuse with, and a line a front desk can show for it."""

_URLSAFE = re.compile(r"[A-Za-z0-9_\-]+")
_HEX64 = re.compile(r"[0-9a-f]{64}")
_MAX_SECONDS = 10**11  # a seconds value above this is almost surely milliseconds (year 5138)
_JWS = jwt.PyJWS(algorithms=[PASS_ALG])


class JwksError(ProtocolError):
    """A JWKS document does not describe Spazi Ed25519 keys correctly."""

    reason = "bad-jwks"


def new_jti() -> str:
    """A random pass id of 128 bits (22 base64url characters) that starts with a letter or a
    digit: one starting with ``-`` would read as an option where a person types it
    (``spazi pass revoke JTI``)."""
    while True:
        jti = secrets.token_urlsafe(16)
        if jti[0].isalnum():
            return jti


def jti_hash(jti: str) -> str:
    """Lowercase hex SHA-256 of the UTF-8 ``jti``: what ``pass.revoke`` entries carry.

    Revocations publish hashes so that a feed, which anyone may read, does not hand out usable
    pass identifiers.
    """
    return sha256_hex(jti.encode("utf-8"))


def _check_seconds(now: int) -> None:
    if not isinstance(now, int) or isinstance(now, bool) or not 0 <= now < _MAX_SECONDS:
        raise ValueError("now must be Unix time in whole seconds (not milliseconds)")


def _malformed(detail: str) -> PassError:
    return PassError("malformed", detail)


def _check_claims(claims: Any) -> None:
    """Raise ``PassError('malformed')`` unless ``claims`` has exactly the v1 claims, well formed."""
    if not isinstance(claims, dict):
        raise _malformed("the payload must be a JSON object")
    if set(claims) != PASS_CLAIMS:
        missing = sorted(PASS_CLAIMS - set(claims))
        extra = sorted(set(claims) - PASS_CLAIMS)
        # Unknown claims are refused rather than ignored: a host must not accept a pass while
        # skipping a condition it does not understand.
        raise _malformed(f"claims missing {missing}, unexpected {extra}")
    for name in ("iss", "aud"):
        if not is_node_id(claims[name]):
            raise _malformed(f"{name} must be an Ed25519 did:key node id")
    if claims["iss"] == claims["aud"]:
        raise _malformed("a node does not issue guest passes for itself")
    sub = claims["sub"]
    if not (isinstance(sub, str) and 1 <= len(sub) <= 64 and _URLSAFE.fullmatch(sub)):
        raise _malformed("sub must be 1..64 base64url characters")
    name = claims["name"]
    if not (isinstance(name, str) and 1 <= len(name) <= MAX_NAME_CHARS and name.isprintable()):
        raise _malformed(f"name must be 1..{MAX_NAME_CHARS} printable characters")
    if name != name.strip():
        raise _malformed("name must not start or end with white space")
    if not (isinstance(claims["agr"], str) and _HEX64.fullmatch(claims["agr"])):
        raise _malformed("agr must be 64 lowercase hex characters")
    jti = claims["jti"]
    if not (isinstance(jti, str) and 16 <= len(jti) <= 64 and _URLSAFE.fullmatch(jti)):
        raise _malformed("jti must be 16..64 base64url characters")
    for name in ("iat", "nbf", "exp"):
        value = claims[name]
        if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value < _MAX_SECONDS:
            raise _malformed(f"{name} must be Unix time in whole seconds")
    if not claims["iat"] <= claims["nbf"] < claims["exp"]:
        raise _malformed("times must satisfy iat <= nbf < exp")
    if claims["exp"] - claims["iat"] > MAX_PASS_TTL:
        # Also bounds what a stolen key can do with a back-dated iat (protocol.md
        # §Security considerations, item 7).
        raise _malformed("a pass may not be valid for more than 7 days")


def issue_pass(
    key: NodeKey,
    host: str,
    member_id: str,
    name: str,
    agreement_id: str,
    now: int,
    ttl: int = DEFAULT_PASS_TTL,
    *,
    issuer: str | None = None,
    jti: str | None = None,
    window: tuple[int, int] | None = None,
) -> str:
    """Sign a guest pass for ``member_id`` to visit ``host``; return the compact JWS.

    ``now`` and ``ttl`` are in seconds; the pass is valid from ``now`` until ``now + ttl``
    (``ttl`` at most :data:`MAX_PASS_TTL`), or over ``window`` (``nbf``, ``exp``) when given: a
    pass for one visit day (protocol.md §Guest passes, Issuing), which must still end within
    :data:`MAX_PASS_TTL` of ``now``. ``issuer`` is the home node id when ``key`` is not its
    genesis key (after a rotation); ``jti`` is random unless given (known-answer tests only).
    Raises :class:`PassError` (``malformed``, or ``ttl-too-long``) for values a host would refuse.
    """
    _check_seconds(now)
    if not isinstance(ttl, int) or isinstance(ttl, bool) or ttl <= 0:
        raise PassError("malformed", "ttl must be a positive number of seconds")
    nbf, exp = window if window is not None else (now, now + ttl)
    if exp - now > MAX_PASS_TTL:
        raise PassError("ttl-too-long", f"ttl {exp - now}s exceeds the maximum {MAX_PASS_TTL}s")
    claims = {
        "iss": issuer if issuer is not None else key.did,
        "aud": host,
        "sub": member_id,
        "name": name,
        "agr": agreement_id,
        "jti": jti if jti is not None else new_jti(),
        "iat": now,
        "nbf": nbf,
        "exp": exp,
    }
    _check_claims(claims)
    # The payload is the JCS form of the claims, so the same pass always has the same bytes
    # (known-answer vectors); verifiers accept any JSON spelling of the claims.
    return _JWS.encode(
        canonicalize(claims),
        key.private,
        algorithm=PASS_ALG,
        headers={"kid": key.kid, "typ": PASS_TYP},
    )


def _decode_segment(segment: str, what: str) -> bytes:
    try:
        return b64u_decode(segment)
    except ProtocolError as exc:
        raise _malformed(f"{what} is not unpadded base64url") from exc


def _parse_json_segment(segment: str, what: str) -> Any:
    try:
        return parse_strict(_decode_segment(segment, what), max_bytes=MAX_PASS_BYTES)
    except CanonicalError as exc:
        raise _malformed(f"{what}: {exc.detail}") from exc


def read_unverified(token: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    """Split a token into (header, claims) and check their shape, WITHOUT checking the signature.

    For display and diagnostics only. Raises ``PassError('malformed')`` or, for a header that
    names another algorithm (``none``, ``HS256``…), ``PassError('bad-signature')``.
    """
    if not isinstance(token, str) or not token.isascii():
        raise _malformed("a pass is an ASCII string")
    token = token.strip()  # scanners and copy-paste add line ends
    if len(token) > MAX_PASS_BYTES:
        raise _malformed(f"a pass is at most {MAX_PASS_BYTES} bytes")
    parts = token.split(".")
    if len(parts) != 3:
        raise _malformed("a pass has three dot-separated parts")
    _decode_segment(parts[2], "signature")  # one spelling per token: no padding, no stray bits
    header = _parse_json_segment(parts[0], "header")
    if not isinstance(header, dict):
        raise _malformed("the header must be a JSON object")
    if header.get("alg") != PASS_ALG:
        # Pinned: "none" or an HMAC algorithm would let anyone who knows the public key sign.
        raise PassError("bad-signature", f"alg must be {PASS_ALG}, not {header.get('alg')!r}")
    if set(header) != PASS_HEADER_FIELDS:
        raise _malformed(f"the header must hold exactly {sorted(PASS_HEADER_FIELDS)}")
    if header["typ"] != PASS_TYP:
        raise _malformed(f"typ must be {PASS_TYP!r}")
    if not isinstance(header["kid"], str) or not header["kid"].startswith("z"):
        raise _malformed("kid must name an Ed25519 key (z6Mk…)")
    claims = _parse_json_segment(parts[1], "payload")
    _check_claims(claims)
    return header, claims


def verify_pass(
    token: Any,
    host_id: str,
    keyring: Keyring,
    now: int,
    *,
    is_revoked: Callable[[str, str], bool],
    agreement_lookup: Callable[[str, str], Mapping[str, Any] | None],
    leeway: int = DEFAULT_LEEWAY,
    day: date | None = None,
) -> dict[str, Any]:
    """Verify a guest pass presented at ``host_id``; return its claims or raise :class:`PassError`.

    ``now`` is Unix seconds. Checks, in order (each failure has its own ``reason``):
    shape (``malformed``), the signing key (``unknown-issuer``: ``kid`` must be a key of ``iss``
    in ``keyring``, valid at ``iat``), the EdDSA signature (``bad-signature``), the audience
    (``wrong-host``), the validity window with ``leeway`` seconds (``not-yet-valid``,
    ``expired``), revocation (``revoked``: ``is_revoked(iss, jti_hash(jti))``, which must consult
    only ``pass.revoke`` entries of ``iss``'s own feed) and the agreement (``no-agreement``:
    ``agreement_lookup(agr, iss)`` returns the verified, unterminated agreement of that id
    between ``host_id`` and ``iss``, or None; it must grant ``host_id`` hosting members of ``iss``
    and be in force on ``day``, by default the UTC date of ``now``).
    Quotas (days per member and per month) are the host's to count, not checked here.
    """
    _check_seconds(now)
    header, claims = read_unverified(token)
    iss, kid = claims["iss"], header["kid"]
    period = find_key(keyring, iss, kid)
    if period is None:
        raise PassError("unknown-issuer", f"{kid} is not a key of {iss}")
    if not valid_during_second(period, claims["iat"]):
        raise PassError("unknown-issuer", f"{kid} was not a valid key of {iss} at iat")
    try:
        _JWS.decode_complete(token.strip(), key=period.public, algorithms=[PASS_ALG])
    except jwt.InvalidSignatureError as exc:
        raise PassError("bad-signature", "the signature does not verify") from exc
    except jwt.PyJWTError as exc:
        raise _malformed(str(exc)) from exc
    if claims["aud"] != host_id:
        raise PassError("wrong-host", f"the pass is for {claims['aud']}")
    if now + leeway < claims["nbf"] or now + leeway < claims["iat"]:
        raise PassError("not-yet-valid", f"valid from {claims['nbf']}")
    if now - leeway >= claims["exp"]:
        raise PassError("expired", f"expired at {claims['exp']}")
    if is_revoked(iss, jti_hash(claims["jti"])):
        raise PassError("revoked", "the home node revoked this pass")
    _check_agreement(claims, host_id, agreement_lookup, day or _utc_day(now))
    return claims


def _utc_day(now: int) -> date:
    return datetime.fromtimestamp(now, tz=UTC).date()


def _check_agreement(
    claims: Mapping[str, Any],
    host_id: str,
    agreement_lookup: Callable[[str, str], Mapping[str, Any] | None],
    day: date,
) -> None:
    iss, agr = claims["iss"], claims["agr"]
    doc = agreement_lookup(agr, iss)
    if doc is None:
        raise PassError("no-agreement", f"no agreement {agr} with {iss}")
    # The lookup is storage; re-deriving the id binds the document to the claim it answers for.
    if compute_agreement_id(doc) != agr:
        raise PassError("no-agreement", "the stored agreement does not have the claimed id")
    if grant_for(doc, host_id, iss) is None:
        raise PassError("no-agreement", f"the agreement does not let {iss}'s members visit here")
    if not is_active(doc, day):
        raise PassError("no-agreement", f"the agreement is not in force on {day.isoformat()}")


# --- JWKS ----------------------------------------------------------------------------------

JWKS_EXTENSION: Final = "spazi"
"""Member of each JWK holding the key's Spazi validity (from/until seq and ts, ms)."""
_JWK_FIELDS = frozenset({"kty", "crv", "x", "kid", "use", "alg", JWKS_EXTENSION})
_PERIOD_FIELDS = frozenset({"from_seq", "from_ts", "until_seq", "until_ts"})
MAX_JWKS_KEYS: Final = 1000


def _raw_public(public: Ed25519PublicKey) -> bytes:
    return public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def jwk(period: KeyPeriod) -> dict[str, Any]:
    """One key as a JWK (RFC 8037 OKP/Ed25519) with its Spazi validity period."""
    validity = period.describe()
    del validity["kid"]
    return {
        "kty": "OKP",
        "crv": "Ed25519",
        "x": b64u_encode(_raw_public(period.public)),
        "kid": period.kid,
        "use": "sig",
        "alg": PASS_ALG,
        JWKS_EXTENSION: validity,
    }


def jwks(periods: Iterable[KeyPeriod]) -> dict[str, Any]:
    """A node's keys as a JWKS document, oldest first; retired keys keep their ``until_*`` ends.

    Served at ``/.well-known/jwks.json`` for JOSE tools. Spazi nodes build their keyrings from
    ``key.rotate`` entries, never from a JWKS alone: this document is not signed.
    """
    return {"keys": [jwk(period) for period in periods]}


def _period_int(validity: Mapping[str, Any], name: str, minimum: int) -> int | None:
    value = validity.get(name)
    if value is None and name not in validity:
        return None
    if not isinstance(value, int) or isinstance(value, bool) or not minimum <= value <= 2**53 - 1:
        raise JwksError(detail=f"{JWKS_EXTENSION}.{name} must be an integer >= {minimum}")
    return value


def _period_from_jwk(item: Any, index: int) -> KeyPeriod:
    where = f"keys[{index}]"
    if not isinstance(item, Mapping) or set(item) != _JWK_FIELDS:
        raise JwksError(detail=f"{where} must hold exactly {sorted(_JWK_FIELDS)}")
    fixed = {"kty": "OKP", "crv": "Ed25519", "use": "sig", "alg": PASS_ALG}
    for name, expected in fixed.items():
        if item[name] != expected:
            raise JwksError(detail=f"{where}.{name} must be {expected!r}")
    try:
        raw = b64u_decode(item["x"])
    except ProtocolError as exc:
        raise JwksError(detail=f"{where}.x is not unpadded base64url") from exc
    if len(raw) != 32:
        raise JwksError(detail=f"{where}.x must be a 32-byte Ed25519 key")
    public = Ed25519PublicKey.from_public_bytes(raw)
    if item["kid"] != key_id(public):
        # The name must be the key: a kid pointing at other key material would let one entry
        # masquerade as another.
        raise JwksError(detail=f"{where}.kid does not name the key in x")
    validity = item[JWKS_EXTENSION]
    if not isinstance(validity, Mapping) or not set(validity) <= _PERIOD_FIELDS:
        raise JwksError(detail=f"{where}.{JWKS_EXTENSION} has unexpected members")
    from_seq = _period_int(validity, "from_seq", 1)
    from_ts = _period_int(validity, "from_ts", 0)
    if from_seq is None or from_ts is None:
        raise JwksError(detail=f"{where}.{JWKS_EXTENSION} needs from_seq and from_ts")
    until_seq = _period_int(validity, "until_seq", from_seq)
    # until_ts may precede from_ts: a rotation with compromised_since ends the old key early.
    until_ts = _period_int(validity, "until_ts", 0)
    if (until_seq is None) != (until_ts is None):
        raise JwksError(detail=f"{where}: a retired key has both until_seq and until_ts")
    return KeyPeriod(item["kid"], public, from_seq, until_seq, from_ts, until_ts)


def keys_from_jwks(doc: Any) -> list[KeyPeriod]:
    """Parse a Spazi JWKS back into key periods; raise :class:`JwksError` on anything off.

    Checks each key is Ed25519, that its ``kid`` names its own key material, that kids are
    unique, and that every key but the last is retired and the periods follow one another.
    """
    if not isinstance(doc, Mapping) or set(doc) != {"keys"} or not isinstance(doc["keys"], list):
        raise JwksError(detail='a JWKS is an object with one member, "keys", an array')
    items = doc["keys"]
    if not 1 <= len(items) <= MAX_JWKS_KEYS:
        raise JwksError(detail=f"a JWKS holds 1..{MAX_JWKS_KEYS} keys")
    periods = [_period_from_jwk(item, i) for i, item in enumerate(items)]
    if len({p.kid for p in periods}) != len(periods):
        raise JwksError(detail="duplicate kid")
    for older, newer in itertools.pairwise(periods):
        if older.until_seq is None or older.until_ts is None:
            raise JwksError(detail=f"{older.kid} is followed by a newer key but has no end")
        if newer.from_seq != older.until_seq + 1:
            raise JwksError(detail=f"{newer.kid} does not start right after {older.kid}")
    if periods[-1].until_seq is not None:
        raise JwksError(detail="the newest key must be current (no until_seq)")
    return periods
