"""RFC 9421 signatures on node-to-node requests: signing, every refusal, library interop."""

from __future__ import annotations

import base64
import datetime
import hashlib
import time
from collections.abc import Callable
from typing import Any

import pytest
import requests
from http_message_signatures import (
    HTTPMessageSigner,
    HTTPMessageVerifier,
    InvalidSignature,
    MappingKeyResolver,
    algorithms,
)
from hypothesis import given, settings
from hypothesis import strategies as st

from federation.canonical import canonicalize
from federation.encoding import sha256_hex
from federation.errors import HttpSignatureError
from federation.httpsig import (
    CLOCK_SKEW,
    HTTPSIG_REASONS,
    MAX_SIGNATURE_TTL,
    check_sender,
    content_digest,
    key_id_for,
    parse_keyid,
    sign_request,
    verify_request,
    verify_request_details,
)
from federation.keyring import Keyring
from federation.keys import NodeKey
from tests.federation.builders import rotated_keyring

KEY_A = NodeKey.from_seed(bytes(32))
KEY_B = NodeKey.from_seed(bytes([1]) * 32)
KEY_A2 = NodeKey.from_seed(bytes([2]) * 32)
KEY_C = NodeKey.from_seed(bytes([3]) * 32)
A, B, C = KEY_A.did, KEY_B.did, KEY_C.did

T0_MS = 1_767_225_600_000
NOW = 1_767_344_400
INBOX = "https://b.example/federation/v1/inbox"
NONCE = "bm9uY2Utc3BhemktMDAwMQ"
BODY = canonicalize({"type": "heads.changed", "from": A, "to": B, "heads": {}})


class ReplayStore:
    """What the node keeps: signature ids until their keep-until time."""

    def __init__(self) -> None:
        self.ids: dict[str, int] = {}

    def __call__(self, signature_id: str, keep_until: int) -> bool:
        if signature_id in self.ids:
            return True
        self.ids[signature_id] = keep_until
        return False


def signed(
    key: NodeKey = KEY_A,
    node_id: str = A,
    *,
    url: str = INBOX,
    body: bytes = BODY,
    now: int = NOW,
    ttl: int = 300,
    nonce: str | None = NONCE,
    method: str = "POST",
) -> requests.PreparedRequest:
    request = requests.Request(
        method, url, data=body, headers={"Content-Type": "application/json"}
    ).prepare()
    return sign_request(request, key, node_id, now, ttl, nonce=nonce)


def verify(
    request: requests.PreparedRequest,
    *,
    method: str | None = None,
    url: str | None = None,
    headers: Any = None,
    body: bytes | None = None,
    keyring: Keyring | None = None,
    now: int = NOW + 5,
    seen: Callable[[str, int], bool] | None = None,
    **kw: Any,
) -> str:
    raw = request.body if isinstance(request.body, bytes) else b""
    return verify_request(
        method or str(request.method),
        url or str(request.url),
        dict(request.headers) if headers is None else headers,
        raw if body is None else body,
        keyring or Keyring(),
        now,
        seen=seen or ReplayStore(),
        **kw,
    )


def refused(reason: str, request: requests.PreparedRequest, **kw: Any) -> HttpSignatureError:
    assert reason in HTTPSIG_REASONS
    with pytest.raises(HttpSignatureError) as info:
        verify(request, **kw)
    assert info.value.reason == reason, info.value
    return info.value


def library_signed(
    key: NodeKey,
    keyid: str,
    *,
    created: int,
    expires: int | None,
    nonce: str | None = NONCE,
    tag: str | None = "spazi",
    label: str = "spazi",
    include_alg: bool = True,
    components: tuple[str, ...] = ("@method", "@target-uri"),
    body: bytes | None = BODY,
) -> requests.PreparedRequest:
    """A request signed directly with the library's own signer."""
    request = requests.Request(
        "POST", INBOX, data=BODY, headers={"Content-Type": "application/json"}
    ).prepare()
    signer = HTTPMessageSigner(
        signature_algorithm=algorithms.ED25519,
        key_resolver=MappingKeyResolver(public_keys={}, private_keys={keyid: key.private}),
    )
    signer.sign(
        request,
        key_id=keyid,
        created=datetime.datetime.fromtimestamp(created, tz=datetime.UTC),
        expires=datetime.datetime.fromtimestamp(expires, tz=datetime.UTC) if expires else None,
        nonce=nonce,
        label=label,
        tag=tag,
        include_alg=include_alg,
        covered_component_ids=components,
        body=body,
    )
    return request


# --- signing ---------------------------------------------------------------------------------


def test_signed_request_verifies_and_names_the_sender() -> None:
    assert verify(signed()) == A


def test_signature_headers_have_the_spazi_shape() -> None:
    request = signed()
    assert request.headers["Content-Digest"] == content_digest(BODY)
    assert request.headers["Content-Digest"].startswith("sha-256=:")
    assert request.headers["Signature-Input"] == (
        'spazi=("@method" "@target-uri" "content-digest");created=1767344400;'
        f'keyid="{A}#{KEY_A.kid}";alg="ed25519";expires=1767344700;nonce="{NONCE}";tag="spazi"'
    )
    assert request.headers["Signature"].startswith("spazi=:")


def test_details_carry_key_times_and_replay_id() -> None:
    details = verify_request_details(
        "POST", INBOX, dict(signed().headers), BODY, Keyring(), NOW, seen=ReplayStore()
    )
    assert (details.node_id, details.kid, details.created, details.expires) == (
        A,
        KEY_A.kid,
        NOW,
        NOW + 300,
    )
    assert details.nonce == NONCE
    assert details.signature_id == sha256_hex(f"{A}\n{NONCE}".encode())


def test_random_nonce_makes_identical_requests_distinct() -> None:
    store = ReplayStore()
    first, second = signed(nonce=None), signed(nonce=None)
    assert first.headers["Signature"] != second.headers["Signature"]
    assert verify(first, seen=store) == verify(second, seen=store) == A


def test_empty_body_is_signed_with_the_digest_of_nothing() -> None:
    request = signed(body=b"", method="GET", url="https://b.example/federation/v1/heads")
    assert request.headers["Content-Digest"] == content_digest(b"")
    assert verify(request) == A


def test_resigning_replaces_old_signature_headers() -> None:
    request = signed()
    sign_request(request, KEY_A, A, NOW + 10, nonce="another-nonce-000001")
    assert request.headers["Signature-Input"].count("spazi=") == 1
    assert verify(request, now=NOW + 12) == A


def test_headers_may_be_given_as_pairs_in_any_case() -> None:
    request = signed()
    pairs = [(name.lower(), value) for name, value in request.headers.items()]
    assert verify(request, headers=pairs) == A
    upper = {name.upper(): value for name, value in request.headers.items()}
    assert verify(request, headers=upper) == A


def test_rotated_node_signs_with_its_new_key() -> None:
    ring = rotated_keyring()
    request = signed(KEY_A2, A)
    assert parse_keyid(f"{A}#{KEY_A2.kid}") == (A, KEY_A2.kid)
    assert verify(request, keyring=ring) == A
    refused("unknown-key", request)  # a keyring that has not seen the rotation


@pytest.mark.parametrize(
    "kwargs",
    [
        {"ttl": MAX_SIGNATURE_TTL + 1},
        {"ttl": 0},
        {"now": NOW * 1000},
        {"nonce": "short"},
        {"node_id": "did:web:a.example"},
    ],
)
def test_signing_refuses_bad_arguments(kwargs: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        signed(**kwargs)


def test_verifying_refuses_milliseconds_and_a_long_window() -> None:
    with pytest.raises(ValueError, match="seconds"):
        verify(signed(), now=NOW * 1000)
    with pytest.raises(ValueError, match="max_age"):
        verify(signed(), max_age=3600)


# --- refusals ----------------------------------------------------------------------------------


def test_no_signature_headers() -> None:
    request = signed()
    del request.headers["Signature"]
    refused("missing-signature", request)
    request = signed()
    del request.headers["Signature-Input"]
    refused("missing-signature", request)
    refused("missing-signature", signed(), headers={"Content-Type": "application/json"})


def test_signature_under_another_label_or_without_the_tag_is_missing() -> None:
    other_label = library_signed(
        KEY_A, key_id_for(A, KEY_A.kid), created=NOW, expires=NOW + 60, label="other"
    )
    refused("missing-signature", other_label)
    untagged = library_signed(
        KEY_A, key_id_for(A, KEY_A.kid), created=NOW, expires=NOW + 60, tag=None
    )
    refused("missing-signature", untagged)


def test_garbled_signature_headers_are_missing_signature() -> None:
    request = signed()
    request.headers["Signature-Input"] = "spazi=((("
    refused("missing-signature", request)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"components": ("@method", "@target-uri"), "body": None},  # body not covered
        {"components": ("@method", "@authority", "@target-uri")},  # extra component
        {"components": ("@target-uri",)},  # method not covered
        {"nonce": None},
        {"nonce": "short"},
        {"include_alg": False},
        {"expires": None},
        {"expires": NOW + MAX_SIGNATURE_TTL + 1},
    ],
)
def test_signatures_outside_spazi_rules_are_malformed(kwargs: dict[str, Any]) -> None:
    args: dict[str, Any] = {"created": NOW, "expires": NOW + 60}
    args.update(kwargs)
    request = library_signed(KEY_A, key_id_for(A, KEY_A.kid), **args)
    refused("malformed-signature", request)


def test_content_digest_with_parameters_is_malformed() -> None:
    request = library_signed(
        KEY_A,
        key_id_for(A, KEY_A.kid),
        created=NOW,
        expires=NOW + 60,
        components=("@method", "@target-uri", '"content-digest";sf'),
    )
    refused("malformed-signature", request)


@pytest.mark.parametrize(
    "keyid",
    [
        KEY_A.kid,  # no node id
        A,  # no key name
        f"{A}#{KEY_A.kid}#x",
        f"did:web:a.example#{KEY_A.kid}",
        f"{A}#not-a-key",
        f"https://a.example/key#{KEY_A.kid}",
    ],
)
def test_keyid_must_bind_key_to_node(keyid: str) -> None:
    request = library_signed(KEY_A, keyid, created=NOW, expires=NOW + 60)
    refused("bad-keyid", request)


def test_key_of_another_node_is_unknown_key() -> None:
    # C signs with its own key and claims to be A: C's key is not one of A's keys.
    request = library_signed(KEY_C, key_id_for(A, KEY_C.kid), created=NOW, expires=NOW + 60)
    refused("unknown-key", request)


def test_someone_elses_key_under_the_right_keyid_is_bad_signature() -> None:
    request = library_signed(KEY_C, key_id_for(A, KEY_A.kid), created=NOW, expires=NOW + 60)
    refused("bad-signature", request)


def test_retired_key_is_unknown_key() -> None:
    ring = rotated_keyring()
    refused("unknown-key", signed(KEY_A, A), keyring=ring)


def test_unknown_sender_does_not_grow_the_keyring() -> None:
    ring = Keyring()
    assert verify(signed(KEY_C, C), keyring=ring) == C
    assert ring.known_nodes() == []


def test_tampered_method() -> None:
    refused("bad-signature", signed(), method="PUT")


@pytest.mark.parametrize(
    "url",
    [
        "https://c.example/federation/v1/inbox",  # the same request sent to another node
        "https://b.example/federation/v1/inbox?x=1",
        "http://b.example/federation/v1/inbox",
        "https://b.example/federation/v1/inbox/",
    ],
)
def test_tampered_url(url: str) -> None:
    refused("bad-signature", signed(), url=url)


def test_tampered_body_is_digest_mismatch() -> None:
    refused("digest-mismatch", signed(), body=BODY.replace(b"heads.changed", b"peer.request!"))
    refused("digest-mismatch", signed(), body=BODY + b" ")


def test_digest_changed_to_match_a_tampered_body_is_bad_signature() -> None:
    request = signed()
    forged = BODY.replace(b"heads.changed", b"peer.request!")
    request.headers["Content-Digest"] = content_digest(forged)
    refused("bad-signature", request, body=forged)


def test_missing_or_doubled_content_digest_is_digest_mismatch() -> None:
    request = signed()
    headers = [(k, v) for k, v in request.headers.items() if k != "Content-Digest"]
    refused("digest-mismatch", request, headers=headers)
    doubled = [*request.headers.items(), ("Content-Digest", request.headers["Content-Digest"])]
    refused("digest-mismatch", request, headers=doubled)


def test_sha512_digest_alone_is_digest_mismatch() -> None:
    # RFC 9530 allows other algorithms; Spazi sends and accepts exactly one sha-256 member.
    request = requests.Request("POST", INBOX, data=BODY).prepare()
    sha512 = base64.b64encode(hashlib.sha512(BODY).digest()).decode()
    request.headers["Content-Digest"] = f"sha-512=:{sha512}:"
    keyid = key_id_for(A, KEY_A.kid)
    resolver = MappingKeyResolver(public_keys={}, private_keys={keyid: KEY_A.private})
    HTTPMessageSigner(signature_algorithm=algorithms.ED25519, key_resolver=resolver).sign(
        request,
        key_id=keyid,
        created=datetime.datetime.fromtimestamp(NOW, tz=datetime.UTC),
        expires=datetime.datetime.fromtimestamp(NOW + 60, tz=datetime.UTC),
        nonce=NONCE,
        label="spazi",
        tag="spazi",
        covered_component_ids=("@method", "@target-uri"),
        body=BODY,
        use_existing_digest=True,  # keeps (and checks) the sha-512 digest
    )
    refused("digest-mismatch", request)


def test_expired_signature() -> None:
    request = signed(ttl=60)
    assert verify(request, now=NOW + 60 + CLOCK_SKEW) == A
    refused("expired", request, now=NOW + 61 + CLOCK_SKEW)


def test_created_older_than_max_age_is_expired() -> None:
    request = signed(ttl=300)
    assert verify(request, now=NOW + 100, max_age=120) == A
    refused("expired", request, now=NOW + 121 + CLOCK_SKEW, max_age=120)


def test_created_in_the_future() -> None:
    request = signed(now=NOW + 60)
    refused("created-in-future", request, now=NOW)
    assert verify(request, now=NOW + 60 - CLOCK_SKEW) == A


def test_replayed_request() -> None:
    store = ReplayStore()
    request = signed()
    assert verify(request, seen=store) == A
    refused("replayed", request, seen=store)
    # The store is told how long to remember: past then, the signature itself has expired.
    (keep_until,) = store.ids.values()
    assert keep_until == NOW + 300 + CLOCK_SKEW + 1
    refused("expired", request, now=keep_until, seen=ReplayStore())


def test_refused_requests_never_reach_the_replay_store() -> None:
    store = ReplayStore()
    refused("bad-signature", signed(), method="PUT", seen=store)
    refused("digest-mismatch", signed(), body=b"{}", seen=store)
    refused("expired", signed(), now=NOW + 3600, seen=store)
    assert store.ids == {}


def test_reasons_are_the_documented_set() -> None:
    assert set(HTTPSIG_REASONS) == {
        "missing-signature",
        "malformed-signature",
        "bad-keyid",
        "unknown-key",
        "bad-signature",
        "digest-mismatch",
        "expired",
        "created-in-future",
        "replayed",
    }


@settings(max_examples=100)
@given(index=st.integers(0, 63), mask=st.integers(1, 255))
def test_changing_one_signature_byte_fails(index: int, mask: int) -> None:
    request = signed()
    raw = bytearray(base64.b64decode(request.headers["Signature"].removeprefix("spazi=:")[:-1]))
    raw[index] ^= mask
    request.headers["Signature"] = "spazi=:" + base64.b64encode(bytes(raw)).decode() + ":"
    refused("bad-signature", request)


# --- sender checks -------------------------------------------------------------------------------


def test_check_sender() -> None:
    check_sender({"from": A, "to": B}, A, B)
    check_sender({"from": A}, A)
    for message, reason in [
        ({"from": C, "to": B}, "sender-mismatch"),
        ({"to": B}, "sender-mismatch"),
        ([A], "sender-mismatch"),
        ({"from": A, "to": C}, "wrong-recipient"),
        ({"from": A}, "wrong-recipient"),
    ]:
        with pytest.raises(HttpSignatureError) as info:
            check_sender(message, A, B)
        assert info.value.reason == reason


# --- interoperability with the library used directly -----------------------------------------


def test_our_signature_verifies_with_the_library_verifier() -> None:
    now = int(time.time())  # the library checks times against the wall clock
    request = signed(now=now)
    keyid = key_id_for(A, KEY_A.kid)
    verifier = HTTPMessageVerifier(
        signature_algorithm=algorithms.ED25519,
        key_resolver=MappingKeyResolver(public_keys={keyid: KEY_A.public}, private_keys={}),
    )
    (result,) = verifier.verify(
        request,
        expect_tag="spazi",
        require_components=("@method", "@target-uri", "content-digest"),
        body=BODY,
    )
    assert result.label == "spazi"
    assert result.parameters["keyid"] == keyid
    assert result.body == BODY
    # ... and the library also catches a tampered body through the signed digest.
    with pytest.raises(InvalidSignature):
        verifier.verify(request, expect_tag="spazi", body=BODY + b"x")


def test_library_signature_verifies_with_ours() -> None:
    request = library_signed(KEY_B, key_id_for(B, KEY_B.kid), created=NOW, expires=NOW + 120)
    assert verify(request) == B
