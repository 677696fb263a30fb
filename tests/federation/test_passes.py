"""Guest passes: issuing, verifying with every refusal reason, JOSE interop, JWKS."""

from __future__ import annotations

import json
import string
from collections.abc import Mapping
from datetime import date
from typing import Any

import jwt
import pytest
import segno
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from federation.agreements import agreement_id, countersign, grant, propose
from federation.canonical import canonicalize
from federation.encoding import b64u_decode, b64u_encode, sha256_hex
from federation.entries import apply_key_change, build_entry, rotation_body
from federation.errors import PassError
from federation.keyring import KeyPeriod, Keyring
from federation.keys import NodeKey
from federation.passes import (
    DEFAULT_PASS_TTL,
    MAX_PASS_TTL,
    PASS_REASONS,
    JwksError,
    issue_pass,
    jti_hash,
    jwk,
    jwks,
    keys_from_jwks,
    read_unverified,
    verify_pass,
)
from tests.federation.builders import rotated_keyring

KEY_A = NodeKey.from_seed(bytes(32))
KEY_B = NodeKey.from_seed(bytes([1]) * 32)
KEY_A2 = NodeKey.from_seed(bytes([2]) * 32)
KEY_C = NodeKey.from_seed(bytes([3]) * 32)
A, B, C = KEY_A.did, KEY_B.did, KEY_C.did

T0_MS = 1_767_225_600_000  # 2026-01-01T00:00Z
NOW = 1_767_344_400  # 2026-01-02T09:00Z, seconds
JTI = "p7Jc2QxV9mW4tR8yLk3nZa"
URLSAFE = string.ascii_letters + string.digits + "-_"


def make_agreement(
    home: NodeKey = KEY_A,
    host: NodeKey = KEY_B,
    valid_from: str = "2026-01-01",
    valid_until: str = "2027-01-01",
) -> dict[str, Any]:
    grants = [
        grant(home.did, host.did, 2, 40, ["hot_desk"]),
        grant(host.did, home.did, 3, 60, ["hot_desk"]),
    ]
    proposal = propose(
        home, host.did, grants, valid_from, valid_until, T0_MS, nonce="pass-tests-agreement"
    )
    return countersign(host, proposal, Keyring())


AGREEMENT = make_agreement()
AGR = agreement_id(AGREEMENT)


def lookup_for(*docs: Mapping[str, Any]) -> Any:
    by_id = {agreement_id(doc): doc for doc in docs}
    return lambda agr, iss: by_id.get(agr)


def never_revoked(iss: str, digest: str) -> bool:
    return False


def issue(**overrides: Any) -> str:
    args: dict[str, Any] = {
        "key": KEY_A,
        "host": B,
        "member_id": "m-3kT9x2LqZ8vN1c",
        "name": "Ada Lovelace",
        "agreement_id": AGR,
        "now": NOW,
        "ttl": DEFAULT_PASS_TTL,
        "jti": JTI,
    }
    args.update(overrides)
    return issue_pass(**args)


def check(
    token: str, *, now: int = NOW + 10, keyring: Keyring | None = None, **kw: Any
) -> dict[str, Any]:
    kw.setdefault("is_revoked", never_revoked)
    kw.setdefault("agreement_lookup", lookup_for(AGREEMENT))
    host = kw.pop("host_id", B)
    return verify_pass(token, host, keyring or Keyring(), now, **kw)


def refused(token: Any, reason: str, **kw: Any) -> PassError:
    assert reason in PASS_REASONS
    with pytest.raises(PassError) as info:
        check(token, **kw)
    assert info.value.reason == reason, info.value
    return info.value


def raw_token(
    header: Mapping[str, Any], claims: Mapping[str, Any] | bytes, key: NodeKey | None = KEY_A
) -> str:
    """A token built by hand: any header, any payload bytes, signed by ``key`` (or unsigned)."""
    payload = claims if isinstance(claims, bytes) else json.dumps(claims).encode()
    signing_input = b64u_encode(json.dumps(header).encode()) + "." + b64u_encode(payload)
    signature = b64u_encode(key.sign_raw(signing_input.encode())) if key else ""
    return signing_input + "." + signature


def good_claims(**overrides: Any) -> dict[str, Any]:
    claims = {
        "iss": A,
        "aud": B,
        "sub": "m-3kT9x2LqZ8vN1c",
        "name": "Ada Lovelace",
        "agr": AGR,
        "jti": JTI,
        "iat": NOW,
        "nbf": NOW,
        "exp": NOW + 3600,
    }
    claims.update(overrides)
    return claims


HEADER = {"alg": "EdDSA", "kid": KEY_A.kid, "typ": "spazi-pass+jwt"}


# --- issuing ---------------------------------------------------------------------------------


def test_issued_pass_verifies_and_returns_the_claims() -> None:
    claims = check(issue())
    assert claims == good_claims(exp=NOW + DEFAULT_PASS_TTL)


def test_header_and_payload_are_exact_and_canonical() -> None:
    header_b64, payload_b64, signature_b64 = issue().split(".")
    assert b64u_decode(header_b64) == canonicalize(HEADER)
    assert b64u_decode(payload_b64) == canonicalize(good_claims(exp=NOW + DEFAULT_PASS_TTL))
    assert len(b64u_decode(signature_b64)) == 64


def test_random_jti_is_urlsafe_and_unique() -> None:
    first, second = (read_unverified(issue(jti=None))[1]["jti"] for _ in range(2))
    assert first != second
    assert len(first) >= 22 and set(first) <= set(URLSAFE)


def test_a_random_jti_never_reads_as_a_command_line_option() -> None:
    # One in 32 random ids started with "-" or "_", and `spazi pass revoke -Ycp…` then failed
    # as an unknown option.
    from federation.passes import new_jti

    ids = [new_jti() for _ in range(3000)]
    assert all(jti[0].isalnum() and len(jti) == 22 for jti in ids)
    assert len(set(ids)) == len(ids)


def test_realistic_pass_fits_a_phone_screen_qr_code() -> None:
    # Two did:key ids, a 64-hex agreement id, the kid and a 64-byte signature are fixed costs;
    # with a realistic member id and name the token is about 660 bytes.
    token = issue(jti=None, member_id="m-3kT9x2LqZ8vN1cQ4", name="Margherita Hack")
    assert len(token) < 700
    qr = segno.make(token, error="m", boost_error=False)
    assert qr.version <= 20  # 97×97 modules: scans from a phone screen at arm's length
    assert qr.mode == "byte"


def test_default_ttl_is_a_day_and_seven_days_is_the_most() -> None:
    assert DEFAULT_PASS_TTL == 86_400
    claims = check(issue(ttl=MAX_PASS_TTL))
    assert claims["exp"] - claims["iat"] == MAX_PASS_TTL
    with pytest.raises(PassError) as info:
        issue(ttl=MAX_PASS_TTL + 1)
    assert info.value.reason == "ttl-too-long"
    for bad in (0, -5):
        with pytest.raises(PassError) as info:
            issue(ttl=bad)
        assert info.value.reason == "malformed"


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("name", ""),
        ("name", "x" * 65),
        ("name", "Ada\nLovelace"),
        ("name", " Ada"),
        ("member_id", ""),
        ("member_id", "has space"),
        ("agreement_id", "AB" * 32),
        ("agreement_id", "ab" * 31),
        ("host", "https://b.example"),
        ("host", A),  # a node does not host its own members as guests
        ("jti", "short"),
        ("jti", "not/url+safe/but/long/enough"),
    ],
)
def test_issuing_refuses_values_a_host_would_refuse(field: str, value: str) -> None:
    with pytest.raises(PassError) as info:
        issue(**{field: value})
    assert info.value.reason == "malformed"


def test_times_are_seconds_not_milliseconds() -> None:
    with pytest.raises(ValueError, match="seconds"):
        issue(now=NOW * 1000)
    with pytest.raises(ValueError, match="seconds"):
        check(issue(), now=NOW * 1000)


def test_jti_hash_is_sha256_hex_of_the_jti() -> None:
    assert jti_hash(JTI) == sha256_hex(JTI.encode())
    assert jti_hash("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"


# --- refusals, one reason each ------------------------------------------------------------------


@pytest.mark.parametrize(
    "token",
    [
        "",
        "not a token",
        "a.b",
        "a.b.c.d",
        "###.###.###",
        42,
        None,
        "é.é.é",
        "x" * 3000,
    ],
)
def test_garbage_is_malformed(token: Any) -> None:
    refused(token, "malformed")


def test_padded_base64_is_malformed() -> None:
    header, payload, signature = issue().split(".")
    padded = header + "=" * (-len(header) % 4 or 4)
    refused(f"{padded}.{payload}.{signature}", "malformed")


@pytest.mark.parametrize(
    "claims",
    [
        good_claims(extra="surprise"),
        {k: v for k, v in good_claims().items() if k != "jti"},
        good_claims(aud=[B]),
        good_claims(iss="did:web:a.example"),
        good_claims(iat=NOW + 10),  # iat after nbf
        good_claims(exp=NOW),  # exp not after nbf
        good_claims(exp=NOW + MAX_PASS_TTL + 1),
        good_claims(iat=True),
        good_claims(name="\u0007bell"),
        good_claims(sub="x" * 65),
    ],
)
def test_badly_shaped_claims_are_malformed_even_when_signed(claims: dict[str, Any]) -> None:
    refused(raw_token(HEADER, claims), "malformed")


@pytest.mark.parametrize(
    "payload",
    [
        b'{"iss": 1.5}',
        b"[1, 2]",
        b"\xff\xfe",
        b'{"iss":"a","iss":"b"}',
    ],
)
def test_payload_that_is_not_strict_json_object_is_malformed(payload: bytes) -> None:
    refused(raw_token(HEADER, payload), "malformed")


def test_duplicate_claim_is_malformed() -> None:
    text = json.dumps(good_claims())[:-1] + f', "aud": "{C}"}}'
    refused(raw_token(HEADER, text.encode()), "malformed")


@pytest.mark.parametrize(
    "header",
    [
        {**HEADER, "typ": "JWT"},
        {k: v for k, v in HEADER.items() if k != "typ"},
        {k: v for k, v in HEADER.items() if k != "kid"},
        {**HEADER, "kid": 7},
        # A key carried in the token is never used: such a header is refused outright.
        {**HEADER, "jwk": jwk(Keyring().periods(C)[0])},
        {**HEADER, "jku": "https://evil.example/jwks.json"},
        {**HEADER, "crit": ["exp"]},
    ],
)
def test_unexpected_header_is_malformed(header: dict[str, Any]) -> None:
    refused(raw_token(header, good_claims()), "malformed")


def test_alg_none_is_refused_as_bad_signature() -> None:
    token = raw_token(
        {"alg": "none", "typ": "spazi-pass+jwt", "kid": KEY_A.kid}, good_claims(), key=None
    )
    refused(token, "bad-signature")


def test_hs256_with_the_public_key_as_secret_is_refused() -> None:
    # The classic algorithm confusion: HMAC keyed with the (public) Ed25519 key bytes.
    public_raw = b64u_decode(jwk(Keyring().periods(A)[0])["x"])
    token = jwt.encode(
        good_claims(),
        public_raw,
        algorithm="HS256",
        headers={"kid": KEY_A.kid, "typ": "spazi-pass+jwt"},
    )
    refused(token, "bad-signature")


def test_es256_header_is_refused() -> None:
    token = raw_token({**HEADER, "alg": "ES256"}, good_claims())
    refused(token, "bad-signature")


def test_flipped_signature_is_bad_signature() -> None:
    header, payload, signature = issue().split(".")
    raw = bytearray(b64u_decode(signature))
    raw[10] ^= 1
    refused(f"{header}.{payload}.{b64u_encode(bytes(raw))}", "bad-signature")


def test_truncated_signature_is_bad_signature() -> None:
    header, payload, signature = issue().split(".")
    refused(f"{header}.{payload}.{b64u_encode(b64u_decode(signature)[:32])}", "bad-signature")


def test_kid_of_another_node_is_unknown_issuer() -> None:
    # C signs a pass claiming to come from A, naming C's own key: the key is not one of A's.
    token = raw_token({**HEADER, "kid": KEY_C.kid}, good_claims(), key=KEY_C)
    refused(token, "unknown-issuer")


def test_key_is_never_taken_from_the_token() -> None:
    # C signs with its own key but names A's kid: verification uses A's real key and fails.
    token = raw_token(HEADER, good_claims(), key=KEY_C)
    refused(token, "bad-signature")


def test_retired_key_cannot_sign_after_its_end() -> None:
    ring = rotated_keyring()
    rotation_s = (T0_MS + 86_400_000) // 1000
    after = good_claims(iat=rotation_s + 60, nbf=rotation_s + 60, exp=rotation_s + 3600)
    refused(raw_token(HEADER, after), "unknown-issuer", keyring=ring, now=rotation_s + 70)
    # Before the rotation the same key was valid, and such a pass still verifies afterwards.
    before = good_claims(iat=rotation_s - 60, nbf=rotation_s - 60, exp=rotation_s + 3600)
    assert (
        check(raw_token(HEADER, before), keyring=ring, now=rotation_s + 70)["iat"]
        == rotation_s - 60
    )


def test_new_key_cannot_sign_before_its_start() -> None:
    ring = rotated_keyring()
    rotation_s = (T0_MS + 86_400_000) // 1000
    early = good_claims(iat=rotation_s - 60, nbf=rotation_s - 60, exp=rotation_s + 3600)
    token = raw_token({**HEADER, "kid": KEY_A2.kid}, early, key=KEY_A2)
    refused(token, "unknown-issuer", keyring=ring, now=rotation_s)


def test_rotated_issuer_signs_with_its_new_key() -> None:
    ring = rotated_keyring()
    token = issue(key=KEY_A2, issuer=A)
    assert read_unverified(token)[0]["kid"] == KEY_A2.kid
    assert check(token, keyring=ring)["iss"] == A
    # Without the rotation the host does not know the new key.
    refused(token, "unknown-issuer")


def test_unknown_issuer_does_not_grow_the_keyring() -> None:
    ring = Keyring()
    token = raw_token({**HEADER, "kid": KEY_C.kid}, good_claims(iss=C), key=KEY_C)
    refused(token, "no-agreement", keyring=ring)
    assert ring.known_nodes() == []


def test_pass_for_another_host_is_wrong_host() -> None:
    refused(issue(host=C), "wrong-host")
    refused(issue(), "wrong-host", host_id=C)


def test_not_yet_valid_and_leeway() -> None:
    token = raw_token(HEADER, good_claims(iat=NOW, nbf=NOW + 600, exp=NOW + 3600))
    refused(token, "not-yet-valid", now=NOW + 500)
    assert check(token, now=NOW + 560)["nbf"] == NOW + 600  # within the 60 s leeway
    refused(token, "not-yet-valid", now=NOW + 530, leeway=0)


def test_iat_in_the_future_is_not_yet_valid() -> None:
    refused(issue(), "not-yet-valid", now=NOW - 120)


def test_expired_and_leeway() -> None:
    token = issue(ttl=3600)
    assert check(token, now=NOW + 3600 + 59)
    refused(token, "expired", now=NOW + 3600 + 60)
    refused(token, "expired", now=NOW + 3600, leeway=0)
    assert check(token, now=NOW + 3599, leeway=0)


def test_revoked_pass_and_what_the_callback_is_asked() -> None:
    asked: list[tuple[str, str]] = []

    def is_revoked(iss: str, digest: str) -> bool:
        asked.append((iss, digest))
        return digest == jti_hash(JTI)

    refused(issue(), "revoked", is_revoked=is_revoked)
    assert asked == [(A, jti_hash(JTI))]
    assert check(issue(jti="another-pass-id-0001"), is_revoked=is_revoked)


def test_no_agreement_when_lookup_finds_nothing() -> None:
    err = refused(issue(), "no-agreement", agreement_lookup=lambda agr, iss: None)
    assert AGR in err.detail


def test_lookup_is_asked_for_the_claimed_agreement_and_issuer() -> None:
    asked: list[tuple[str, str]] = []

    def lookup(agr: str, iss: str) -> Mapping[str, Any] | None:
        asked.append((agr, iss))
        return AGREEMENT

    check(issue(), agreement_lookup=lookup)
    assert asked == [(AGR, A)]


def test_no_agreement_when_the_stored_document_has_another_id() -> None:
    other = make_agreement(valid_until="2026-06-01")
    refused(issue(), "no-agreement", agreement_lookup=lambda agr, iss: other)


def test_no_agreement_when_it_does_not_let_the_host_receive_the_issuers_members() -> None:
    # An A–C agreement, named correctly, does not make B a host for A's members.
    a_c = make_agreement(KEY_A, KEY_C)
    token = issue(agreement_id=agreement_id(a_c))
    refused(token, "no-agreement", agreement_lookup=lookup_for(a_c))


@pytest.mark.parametrize(
    ("valid_from", "valid_until"),
    [("2026-01-03", "2026-02-01"), ("2025-01-01", "2026-01-02")],
)
def test_no_agreement_outside_its_validity(valid_from: str, valid_until: str) -> None:
    doc = make_agreement(valid_from=valid_from, valid_until=valid_until)
    token = issue(agreement_id=agreement_id(doc))
    refused(token, "no-agreement", agreement_lookup=lookup_for(doc))


def test_day_is_the_hosts_local_date_when_given() -> None:
    doc = make_agreement(valid_from="2026-01-03", valid_until="2026-02-01")
    token = issue(agreement_id=agreement_id(doc))
    # 09:00 UTC on the 2nd; a host far east of UTC may already be on the 3rd... only if told so.
    assert check(token, agreement_lookup=lookup_for(doc), day=date(2026, 1, 3))
    refused(token, "no-agreement", agreement_lookup=lookup_for(doc), day=date(2026, 1, 2))


def test_reasons_are_the_documented_set() -> None:
    assert set(PASS_REASONS) == {
        "malformed",
        "bad-signature",
        "unknown-issuer",
        "wrong-host",
        "not-yet-valid",
        "expired",
        "revoked",
        "no-agreement",
    }
    assert all(text.endswith(".") for text in PASS_REASONS.values())


def test_surrounding_white_space_from_a_scanner_is_ignored() -> None:
    assert check(issue() + "\r\n")["jti"] == JTI


# --- interoperability with plain PyJWT -----------------------------------------------------------


def test_our_pass_verifies_with_plain_pyjwt_and_the_jwk() -> None:
    key = jwt.PyJWK(jwk(Keyring().periods(A)[0]))
    claims = jwt.decode(
        issue(),
        key,
        algorithms=["EdDSA"],
        audience=B,
        issuer=A,
        options={"verify_exp": False, "verify_nbf": False, "verify_iat": False},
    )
    assert claims["sub"] == "m-3kT9x2LqZ8vN1c"
    assert jwt.get_unverified_header(issue())["typ"] == "spazi-pass+jwt"


def test_plain_pyjwt_pass_verifies_with_verify_pass() -> None:
    # PyJWT orders the claims as given and spaces nothing out; any JSON spelling is accepted.
    claims = dict(reversed(list(good_claims().items())))
    token = jwt.encode(
        claims,
        KEY_A.private,
        algorithm="EdDSA",
        headers={"kid": KEY_A.kid, "typ": "spazi-pass+jwt"},
    )
    assert token != issue(ttl=3600)
    assert check(token) == good_claims()


def test_pyjwt_rejects_our_token_for_another_key() -> None:
    key = jwt.PyJWK(jwk(Keyring().periods(C)[0]))
    with pytest.raises(jwt.InvalidSignatureError):
        jwt.decode(
            issue(), key, algorithms=["EdDSA"], options={"verify_aud": False, "verify_exp": False}
        )


# --- property tests: any change to a signed claim, or to one signature byte, fails ------------

_OTHER_VALUES: dict[str, st.SearchStrategy[Any]] = {
    "aud": st.sampled_from([C, KEY_A2.did]),
    "sub": st.text(URLSAFE, min_size=1, max_size=64),
    "name": st.text(
        st.characters(blacklist_categories=("Cc", "Cs", "Zl", "Zp", "Zs", "Cf", "Co", "Cn")),
        min_size=1,
        max_size=64,
    ),
    "agr": st.text("0123456789abcdef", min_size=64, max_size=64),
    "jti": st.text(URLSAFE, min_size=16, max_size=64),
    "iat": st.integers(NOW - 3600, NOW),
    "nbf": st.integers(NOW, NOW + 3599),
    "exp": st.integers(NOW + 1, NOW + 7200),
}


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), claim=st.sampled_from(sorted(_OTHER_VALUES)))
def test_changing_any_single_claim_breaks_the_signature(data: st.DataObject, claim: str) -> None:
    token = issue(ttl=3600)
    header, _, signature = token.split(".")
    claims = good_claims()
    value = data.draw(_OTHER_VALUES[claim])
    assume(value != claims[claim])
    claims[claim] = value
    tampered = f"{header}.{b64u_encode(canonicalize(claims))}.{signature}"
    refused(tampered, "bad-signature")


def test_changing_the_issuer_loses_the_key() -> None:
    header, _, signature = issue(ttl=3600).split(".")
    tampered = f"{header}.{b64u_encode(canonicalize(good_claims(iss=C)))}.{signature}"
    refused(tampered, "unknown-issuer")


@settings(max_examples=150)
@given(index=st.integers(0, 63), mask=st.integers(1, 255))
def test_changing_one_signature_byte_fails(index: int, mask: int) -> None:
    header, payload, signature = issue().split(".")
    raw = bytearray(b64u_decode(signature))
    raw[index] ^= mask
    refused(f"{header}.{payload}.{b64u_encode(bytes(raw))}", "bad-signature")


# --- JWKS -------------------------------------------------------------------------------------


def test_jwks_round_trip_keeps_retired_keys_with_their_end() -> None:
    periods = rotated_keyring().periods(A)
    doc = jwks(periods)
    assert [k["kid"] for k in doc["keys"]] == [KEY_A.kid, KEY_A2.kid]
    retired, current = doc["keys"]
    assert retired["spazi"] == {
        "from_seq": 1,
        "from_ts": 0,
        "until_seq": 2,
        "until_ts": T0_MS + 86_400_000,
    }
    assert current["spazi"] == {"from_seq": 3, "from_ts": T0_MS + 86_400_000}
    for item in doc["keys"]:
        assert {k: item[k] for k in ("kty", "crv", "use", "alg")} == {
            "kty": "OKP",
            "crv": "Ed25519",
            "use": "sig",
            "alg": "EdDSA",
        }
    assert keys_from_jwks(doc) == periods
    assert keys_from_jwks(json.loads(json.dumps(doc))) == periods


def test_jwks_keys_load_in_pyjwt() -> None:
    key_set = jwt.PyJWKSet.from_dict(jwks(rotated_keyring().periods(A)))
    assert [k.key_id for k in key_set.keys] == [KEY_A.kid, KEY_A2.kid]
    token = issue(key=KEY_A2, issuer=A)
    claims = jwt.decode(
        token, key_set[KEY_A2.kid], algorithms=["EdDSA"], audience=B, options={"verify_exp": False}
    )
    assert claims["iss"] == A


def _jwks_with(change: Any) -> dict[str, Any]:
    doc = json.loads(json.dumps(jwks(rotated_keyring().periods(A))))
    change(doc)
    return doc


def _set(path: list[Any], value: Any) -> Any:
    def change(doc: dict[str, Any]) -> None:
        target = doc
        for step in path[:-1]:
            target = target[step]
        if value is KeyError:
            del target[path[-1]]
        else:
            target[path[-1]] = value

    return change


@pytest.mark.parametrize(
    "change",
    [
        _set(["keys", 0, "kid"], KEY_C.kid),  # kid naming other key material
        _set(["keys", 0, "crv"], "Ed448"),
        _set(["keys", 0, "kty"], "EC"),
        _set(["keys", 0, "alg"], "HS256"),
        _set(["keys", 0, "use"], "enc"),
        _set(["keys", 0, "x"], "O2onvM62pC1io6jQKm8Nc2UyFXcd4kOmOsBIoYtZ2ik="),
        _set(["keys", 0, "x"], "AAAA"),
        _set(["keys", 0, "spazi"], KeyError),
        _set(["keys", 0, "spazi", "until_ts"], KeyError),
        _set(["keys", 0, "spazi", "from_seq"], 0),
        _set(["keys", 0, "spazi", "extra"], 1),
        _set(["keys", 1, "spazi", "from_seq"], 5),  # does not follow the retired key
        _set(["keys", 0, "d"], "private!"),
        _set(["keys", 1], KeyError),  # only a retired key left
        _set(["keys", 1, "kid"], KEY_A.kid),
        _set(["extra"], []),
        _set(["keys"], []),
    ],
)
def test_bad_jwks_is_refused(change: Any) -> None:
    with pytest.raises(JwksError) as info:
        keys_from_jwks(_jwks_with(change))
    assert info.value.reason == "bad-jwks"


def test_duplicate_key_in_jwks_is_refused() -> None:
    doc = jwks(Keyring().periods(A))
    doc["keys"].append(dict(doc["keys"][0]))
    with pytest.raises(JwksError, match="duplicate"):
        keys_from_jwks(doc)


def test_single_key_jwks_matches_the_genesis_period() -> None:
    (period,) = keys_from_jwks(jwks(Keyring().periods(B)))
    assert period == KeyPeriod(KEY_B.kid, KEY_B.public, from_seq=1)


def test_padded_signature_segment_is_malformed() -> None:
    header, payload, signature = issue().split(".")
    refused(f"{header}.{payload}.{signature}==", "malformed")


def test_keys_are_judged_per_second_around_a_rotation_inside_a_second() -> None:
    # A rotates at 500 ms into second S; passes count whole seconds, so during S both keys
    # are valid, after S only the new one.
    s = NOW - 3600
    profile = build_entry(
        KEY_A, A, 1, None, T0_MS, "space.profile", {"name": "A", "timezone": "UTC"}
    )
    rotate = build_entry(
        KEY_A, A, 2, profile.hash, s * 1000 + 500, "key.rotate", rotation_body(KEY_A, KEY_A2, A, 2)
    )
    ring = Keyring()
    apply_key_change(ring, rotate)
    new_at_s = issue(key=KEY_A2, issuer=A, now=s, ttl=7200)
    old_at_s = issue(key=KEY_A, now=s, ttl=7200)
    old_after = issue(key=KEY_A, now=s + 1, ttl=7200)
    assert check(new_at_s, keyring=ring)["iat"] == s
    assert check(old_at_s, keyring=ring)["iat"] == s
    refused(old_after, "unknown-issuer", keyring=ring)
