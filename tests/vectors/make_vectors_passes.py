"""Generate the known-answer vectors for passes, JWKS, HTTP signatures and descriptors.

Run ``.venv/bin/python tests/vectors/make_vectors_passes.py`` to (re)write ``pass.json``,
``jwks.json``, ``httpsig.json`` and ``descriptor.json`` next to this file. Everything is derived
from fixed seeds, times and nonces (Ed25519 signatures are deterministic), so the output is the
same on every run; ``tests/federation/test_vectors_passes.py`` checks the code still produces it.

The world of these vectors (protocol.md shows the same bytes):

- node A: genesis key seed ``00``×32, rotated at seq 2 (2026-01-02T00:00Z) to seed ``02``×32;
- node B: key seed ``01``×32, never rotated;
- A and B twin from 2026-01-01 to 2027-01-01 (agreement proposed by A, countersigned by B);
- 2026-01-02T09:00Z: A issues a guest pass for its member to visit B, sends B a signed
  ``heads.changed`` message, and both serve their descriptors and JWKS.

Every value that protocol.md shows is a string here; the spec's fenced block after
``<!-- vector: FILE.json#KEY -->`` holds exactly that string.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import requests

from federation.agreements import agreement_id, countersign, grant, propose
from federation.canonical import canonicalize
from federation.descriptor import build_descriptor
from federation.encoding import sha256_hex
from federation.entries import Entry, apply_key_change, build_entry, rotation_body
from federation.httpsig import sign_request
from federation.keyring import Keyring
from federation.keys import NodeKey
from federation.passes import issue_pass, jti_hash, jwk, jwks
from federation.signing import Tag, signing_input

HERE = Path(__file__).resolve().parent
FILES = ("pass.json", "jwks.json", "httpsig.json", "descriptor.json")

SEED_A = bytes(32)
SEED_A2 = bytes([2]) * 32
SEED_B = bytes([1]) * 32
KEY_A = NodeKey.from_seed(SEED_A)
KEY_A2 = NodeKey.from_seed(SEED_A2)
KEY_B = NodeKey.from_seed(SEED_B)
A, B = KEY_A.did, KEY_B.did
URL_A, URL_B = "https://a.example", "https://b.example"

T0_MS = 1_767_225_600_000  # 2026-01-01T00:00:00Z: A's first entry and the agreement
ROTATE_MS = 1_767_312_000_000  # 2026-01-02T00:00:00Z: A rotates to its second key
NOW = 1_767_344_400  # 2026-01-02T09:00:00Z, in seconds: pass, request, descriptors
PASS_TTL = 86_400
PASS_JTI = "p7Jc2QxV9mW4tR8yLk3nZa"
PASS_SUB = "m-3kT9x2LqZ8vN1c"
PASS_NAME = "Ada Lovelace"
HTTPSIG_NONCE = "bm9uY2Utc3BhemktMDAwMQ"
HTTPSIG_TTL = 300
INBOX_URL = URL_B + "/federation/v1/inbox"


def feed_a() -> tuple[Entry, Entry]:
    """A's first two entries: a profile, then the rotation to its second key."""
    profile = build_entry(
        KEY_A, A, 1, None, T0_MS, "space.profile", {"name": "Spazio A", "timezone": "Europe/Rome"}
    )
    rotate = build_entry(
        KEY_A, A, 2, profile.hash, ROTATE_MS, "key.rotate", rotation_body(KEY_A, KEY_A2, A, 2)
    )
    return profile, rotate


def keyring() -> Keyring:
    """What B knows after syncing A's feed: A's two keys, and B's own."""
    ring = Keyring()
    for entry in feed_a():
        apply_key_change(ring, entry)
    ring.periods(B)
    return ring


def agreement() -> dict[str, Any]:
    """The A–B twinning agreement the pass refers to."""
    grants = [
        grant(A, B, 2, 40, ["hot_desk", "meeting_room"]),
        grant(B, A, 3, 60, ["hot_desk"]),
    ]
    proposal = propose(
        KEY_A, B, grants, "2026-01-01", "2027-01-01", T0_MS + 1000, nonce="spazi-vector-agreement"
    )
    return countersign(KEY_B, proposal, Keyring())


def _segments(token: str) -> tuple[str, str, str]:
    header, payload, signature = token.split(".")
    return header, payload, signature


def pass_vectors() -> dict[str, Any]:
    doc = agreement()
    agr = agreement_id(doc)
    token = issue_pass(KEY_A2, B, PASS_SUB, PASS_NAME, agr, NOW, PASS_TTL, issuer=A, jti=PASS_JTI)
    header_b64, payload_b64, signature_b64 = _segments(token)
    claims = {
        "iss": A,
        "aud": B,
        "sub": PASS_SUB,
        "name": PASS_NAME,
        "agr": agr,
        "jti": PASS_JTI,
        "iat": NOW,
        "nbf": NOW,
        "exp": NOW + PASS_TTL,
    }
    header = {"alg": "EdDSA", "kid": KEY_A2.kid, "typ": "spazi-pass+jwt"}
    return {
        "about": "Guest pass issued by A (signed with its second key) for a member visiting B.",
        "home": A,
        "host": B,
        "home_signing_seed_hex": SEED_A2.hex(),
        "home_key_entries": [feed_a()[1].to_dict()],
        "home_signing_jwk": jwk(keyring().periods(A)[1]),
        "agreement": doc,
        "agreement_id": agr,
        "now": NOW,
        "ttl": PASS_TTL,
        "jti": PASS_JTI,
        "sub": PASS_SUB,
        "name": PASS_NAME,
        "header": header,
        "claims": claims,
        "header_json": canonicalize(header).decode(),
        "claims_json": canonicalize(claims).decode(),
        "header_b64": header_b64,
        "payload_b64": payload_b64,
        "signature_b64": signature_b64,
        "token": token,
        "token_bytes": len(token),
        "jti_hash": jti_hash(PASS_JTI),
    }


def jwks_vectors() -> dict[str, Any]:
    ring = keyring()
    doc_a, doc_b = jwks(ring.periods(A)), jwks(ring.periods(B))
    return {
        "about": "JWKS documents of A (one retired key, one current) and B (one key).",
        "a": doc_a,
        "a_json": json.dumps(doc_a, indent=2),
        "b": doc_b,
        "b_json": json.dumps(doc_b, indent=2),
    }


def inbox_body() -> bytes:
    """A's ``heads.changed`` hint to B after its rotation entry."""
    rotate = feed_a()[1]
    message = {
        "type": "heads.changed",
        "from": A,
        "to": B,
        "heads": {A: {"seq": rotate.seq, "hash": rotate.hash}},
    }
    return canonicalize(message)


def signature_base(method: str, url: str, digest: str, params: str) -> str:
    """RFC 9421 §2.5 signature base for Spazi's covered components, written out by hand."""
    return (
        f'"@method": {method}\n'
        f'"@target-uri": {url}\n'
        f'"content-digest": {digest}\n'
        f'"@signature-params": {params}'
    )


def httpsig_vectors() -> dict[str, Any]:
    body = inbox_body()
    request = requests.Request(
        "POST", INBOX_URL, data=body, headers={"Content-Type": "application/json"}
    ).prepare()
    sign_request(request, KEY_A2, A, NOW, HTTPSIG_TTL, nonce=HTTPSIG_NONCE)
    signature_input = request.headers["Signature-Input"]
    params = signature_input.removeprefix("spazi=")
    digest = request.headers["Content-Digest"]
    http = "\n".join(
        [
            "POST /federation/v1/inbox HTTP/1.1",
            "Host: b.example",
            "Content-Type: application/json",
            f"Content-Length: {len(body)}",
            f"Content-Digest: {digest}",
            f"Signature-Input: {signature_input}",
            f"Signature: {request.headers['Signature']}",
            "",
            body.decode(),
        ]
    )
    return {
        "about": "A (second key) POSTs a heads.changed message to B's inbox.",
        "sender": A,
        "signing_seed_hex": SEED_A2.hex(),
        "method": "POST",
        "url": INBOX_URL,
        "body": body.decode(),
        "created": NOW,
        "expires": NOW + HTTPSIG_TTL,
        "nonce": HTTPSIG_NONCE,
        "keyid": f"{A}#{KEY_A2.kid}",
        "content_digest": digest,
        "signature_input": signature_input,
        "signature": request.headers["Signature"],
        "signature_params": params,
        "signature_base": signature_base("POST", INBOX_URL, digest, params),
        "signature_id": sha256_hex(f"{A}\n{HTTPSIG_NONCE}".encode()),
        "request": http,
    }


def descriptor_vectors() -> dict[str, Any]:
    rotate = feed_a()[1]
    doc_a = build_descriptor(KEY_A2, A, "Spazio A", URL_A, [rotate], NOW * 1000)
    doc_b = build_descriptor(KEY_B, B, "Spazio B", URL_B, [], NOW * 1000)
    unsigned_b = {k: v for k, v in doc_b.items() if k != "sig"}
    return {
        "about": "Descriptors of B (never rotated) and A (rotated once, signed by its new key).",
        "a": doc_a,
        "a_json": json.dumps(doc_a, indent=2),
        "b": doc_b,
        "b_json": json.dumps(doc_b, indent=2),
        "b_signing_input": signing_input(Tag.DESCRIPTOR, unsigned_b).decode(),
    }


def build_vectors() -> dict[str, dict[str, Any]]:
    """Every vector file's content, by file name."""
    return {
        "pass.json": pass_vectors(),
        "jwks.json": jwks_vectors(),
        "httpsig.json": httpsig_vectors(),
        "descriptor.json": descriptor_vectors(),
    }


def render(content: dict[str, Any]) -> str:
    """The exact text of a vector file."""
    return json.dumps(content, indent=2, ensure_ascii=False) + "\n"


def main() -> int:
    for name, content in build_vectors().items():
        (HERE / name).write_text(render(content), encoding="utf-8")
        print(f"wrote {HERE / name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
