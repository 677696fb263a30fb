"""Known answers: the code reproduces every byte of pass.json, jwks.json, httpsig.json and
descriptor.json, and each vector also checks out through an independent path (hand-built
signature base, plain PyJWT, raw Ed25519)."""

from __future__ import annotations

import base64
import hashlib
import importlib.util
import json
import re
from pathlib import Path
from types import ModuleType
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from federation.agreements import agreement_id, verify_agreement
from federation.canonical import canonicalize
from federation.descriptor import verify_descriptor
from federation.encoding import b64u_decode, b64u_encode
from federation.entries import apply_key_change, parse_entry
from federation.httpsig import content_digest, verify_request_details
from federation.keyring import Keyring
from federation.keys import NodeKey, key_id, verify_raw
from federation.passes import issue_pass, jti_hash, jwks, keys_from_jwks, verify_pass
from federation.signing import Tag, signing_input

VECTORS = Path(__file__).resolve().parents[1] / "vectors"


def _load_maker() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "make_vectors_passes", VECTORS / "make_vectors_passes.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


MAKER = _load_maker()


def vector(name: str) -> dict[str, Any]:
    return json.loads((VECTORS / name).read_text(encoding="utf-8"))


@pytest.mark.parametrize("name", MAKER.FILES)
def test_files_are_exactly_what_the_code_produces(name: str) -> None:
    expected = MAKER.render(MAKER.build_vectors()[name])
    assert (VECTORS / name).read_text(encoding="utf-8") == expected


def keyring_from(entries: list[dict[str, Any]]) -> Keyring:
    ring = Keyring()
    for doc in entries:
        apply_key_change(ring, parse_entry(doc, ring))
    return ring


# --- pass.json --------------------------------------------------------------------------------


def test_pass_token_is_reproduced_from_its_inputs() -> None:
    v = vector("pass.json")
    key = NodeKey.from_seed(bytes.fromhex(v["home_signing_seed_hex"]))
    token = issue_pass(
        key,
        v["host"],
        v["sub"],
        v["name"],
        v["agreement_id"],
        v["now"],
        v["ttl"],
        issuer=v["home"],
        jti=v["jti"],
    )
    assert token == v["token"]
    assert len(token) == v["token_bytes"]
    assert token == ".".join([v["header_b64"], v["payload_b64"], v["signature_b64"]])


def test_pass_segments_decode_to_the_shown_json() -> None:
    v = vector("pass.json")
    assert b64u_decode(v["header_b64"]).decode() == v["header_json"]
    assert b64u_decode(v["payload_b64"]).decode() == v["claims_json"]
    assert json.loads(v["header_json"]) == v["header"]
    assert json.loads(v["claims_json"]) == v["claims"]
    assert canonicalize(v["claims"]).decode() == v["claims_json"]


def test_pass_signature_is_raw_ed25519_over_the_signing_input() -> None:
    v = vector("pass.json")
    public = NodeKey.from_seed(bytes.fromhex(v["home_signing_seed_hex"])).public
    message = f"{v['header_b64']}.{v['payload_b64']}".encode()
    assert verify_raw(public, b64u_decode(v["signature_b64"]), message)
    assert v["header"]["kid"] == key_id(public) == v["home_signing_jwk"]["kid"]


def test_pass_vector_verifies_at_the_host() -> None:
    v = vector("pass.json")
    assert verify_agreement(v["agreement"]) == v["agreement_id"] == agreement_id(v["agreement"])
    ring = keyring_from(v["home_key_entries"])
    claims = verify_pass(
        v["token"],
        v["host"],
        ring,
        v["now"] + 60,
        is_revoked=lambda iss, digest: False,
        agreement_lookup=lambda agr, iss: v["agreement"] if agr == v["agreement_id"] else None,
    )
    assert claims == v["claims"]
    assert jti_hash(v["jti"]) == v["jti_hash"]


def test_pass_vector_verifies_with_plain_pyjwt() -> None:
    v = vector("pass.json")
    claims = jwt.decode(
        v["token"],
        jwt.PyJWK(v["home_signing_jwk"]),
        algorithms=["EdDSA"],
        audience=v["host"],
        issuer=v["home"],
        options={"verify_exp": False, "verify_iat": False, "verify_nbf": False},
    )
    assert claims == v["claims"]


# --- jwks.json --------------------------------------------------------------------------------


def test_jwks_vector() -> None:
    v = vector("jwks.json")
    ring = MAKER.keyring()
    assert jwks(ring.periods(MAKER.A)) == v["a"]
    assert jwks(ring.periods(MAKER.B)) == v["b"]
    assert json.loads(v["a_json"]) == v["a"] and json.loads(v["b_json"]) == v["b"]
    assert keys_from_jwks(v["a"]) == ring.periods(MAKER.A)
    retired, current = v["a"]["keys"]
    assert retired["spazi"]["until_ts"] == current["spazi"]["from_ts"] == MAKER.ROTATE_MS
    raw = MAKER.KEY_A2.public.public_bytes(Encoding.Raw, PublicFormat.Raw)
    assert b64u_decode(current["x"]) == raw


def test_jwks_keys_match_the_seeds() -> None:
    v = vector("jwks.json")
    for doc, seeds in ((v["a"], [MAKER.SEED_A, MAKER.SEED_A2]), (v["b"], [MAKER.SEED_B])):
        for item, seed in zip(doc["keys"], seeds, strict=True):
            key = NodeKey.from_seed(seed)
            assert item["kid"] == key.kid
            assert item["x"] == b64u_encode(b64u_decode(item["x"]))
            assert verify_raw(jwt.PyJWK(item).key, key.sign_raw(b"probe"), b"probe")


# --- httpsig.json -----------------------------------------------------------------------------


def test_signature_base_written_out_by_hand() -> None:
    v = vector("httpsig.json")
    params = (
        '("@method" "@target-uri" "content-digest")'
        f';created={v["created"]};keyid="{v["keyid"]}";alg="ed25519"'
        f';expires={v["expires"]};nonce="{v["nonce"]}";tag="spazi"'
    )
    assert v["signature_params"] == params
    assert v["signature_input"] == "spazi=" + params
    sha256 = hashlib.sha256(v["body"].encode()).digest()
    digest = "sha-256=:" + base64.b64encode(sha256).decode() + ":"
    assert v["content_digest"] == digest == content_digest(v["body"].encode())
    base = (
        f'"@method": POST\n'
        f'"@target-uri": {v["url"]}\n'
        f'"content-digest": {digest}\n'
        f'"@signature-params": {params}'
    )
    assert v["signature_base"] == base
    signature = base64.b64decode(v["signature"].removeprefix("spazi=:").removesuffix(":"))
    public = NodeKey.from_seed(bytes.fromhex(v["signing_seed_hex"])).public
    assert verify_raw(public, signature, base.encode("ascii"))


def test_httpsig_vector_is_reproduced_and_verifies() -> None:
    v = vector("httpsig.json")
    assert MAKER.httpsig_vectors() == v
    headers = {
        "Content-Type": "application/json",
        "Content-Digest": v["content_digest"],
        "Signature-Input": v["signature_input"],
        "Signature": v["signature"],
    }
    details = verify_request_details(
        v["method"],
        v["url"],
        headers,
        v["body"].encode(),
        MAKER.keyring(),
        v["created"] + 1,
        seen=lambda signature_id, keep_until: False,
    )
    assert details.node_id == v["sender"]
    assert details.signature_id == v["signature_id"]
    assert f"{details.node_id}#{details.kid}" == v["keyid"]


def test_http_request_text_holds_the_same_headers_and_body() -> None:
    v = vector("httpsig.json")
    head, body = v["request"].split("\n\n")
    lines = head.split("\n")
    assert lines[0] == "POST /federation/v1/inbox HTTP/1.1"
    fields = dict(line.split(": ", 1) for line in lines[1:])
    assert fields["Content-Digest"] == v["content_digest"]
    assert fields["Signature-Input"] == v["signature_input"]
    assert fields["Signature"] == v["signature"]
    assert int(fields["Content-Length"]) == len(body.encode()) and body == v["body"]


# --- descriptor.json --------------------------------------------------------------------------


def test_descriptor_vectors_verify() -> None:
    v = vector("descriptor.json")
    now_ms = MAKER.NOW * 1000
    descriptor_a, ring_a = verify_descriptor(v["a"], MAKER.A, now_ms)
    assert ring_a.current(MAKER.A).kid == MAKER.KEY_A2.kid
    assert descriptor_a.url == "https://a.example"
    descriptor_b, _ = verify_descriptor(v["b"], MAKER.B, now_ms)
    assert descriptor_b.name == "Spazio B"
    assert json.loads(v["a_json"]) == v["a"] and json.loads(v["b_json"]) == v["b"]


def test_descriptor_signing_input_is_tag_plus_canonical_json() -> None:
    v = vector("descriptor.json")
    unsigned = {k: val for k, val in v["b"].items() if k != "sig"}
    assert v["b_signing_input"].encode() == signing_input(Tag.DESCRIPTOR, unsigned)
    assert v["b_signing_input"].startswith("spazi/v1/descriptor\n{")
    public = MAKER.KEY_B.public
    assert verify_raw(public, b64u_decode(v["b"]["sig"]), v["b_signing_input"].encode())


# --- protocol.md shows the same bytes ---------------------------------------------------------

_MARKER = re.compile(r"<!-- vector: ([a-z_]+\.json)#([a-z_]+) -->")


def test_protocol_md_examples_equal_the_vectors() -> None:
    """Each fenced block after a marker for one of these files holds exactly the vector string."""
    spec = VECTORS.parents[1] / "protocol.md"
    if not spec.exists():
        pytest.skip("protocol.md is not written yet")
    lines = spec.read_text(encoding="utf-8").split("\n")
    checked = 0
    for index, line in enumerate(lines):
        match = _MARKER.fullmatch(line.strip())
        if match is None or match.group(1) not in MAKER.FILES:
            continue
        assert lines[index + 1].startswith("```"), f"no fenced block after {line}"
        end = lines.index("```", index + 2)
        block = "\n".join(lines[index + 2 : end])
        assert block == vector(match.group(1))[match.group(2)], line
        checked += 1
    if checked == 0:
        pytest.skip("protocol.md has no pass/JWKS/httpsig/descriptor examples yet")


def test_pass_refers_to_the_agreement_of_the_agreement_vectors() -> None:
    """protocol.md's pass example names the agreement its §Agreements example shows."""
    if not (VECTORS / "agreement.json").exists():
        pytest.skip("agreement.json is not generated yet")
    agreement = vector("agreement.json")
    assert vector("pass.json")["agreement"] == agreement["agreement"]
    assert vector("pass.json")["agreement_id"] == agreement["id"]
