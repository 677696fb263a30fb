"""The signed node descriptor: building, following rotations, and every refusal reason."""

from __future__ import annotations

import contextlib
import copy
from typing import Any

import base58
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from federation.descriptor import (
    DEFAULT_ENDPOINTS,
    DESCRIPTOR_REASONS,
    MAX_KEY_ENTRIES,
    DescriptorError,
    build_descriptor,
    check_url,
    rebuild_keyring,
    verify_descriptor,
)
from federation.encoding import b64u_decode, b64u_encode
from federation.entries import Entry, build_entry, rotation_body
from federation.errors import CanonicalError
from federation.keyring import KeyPeriod
from federation.keys import NodeKey
from federation.signing import Tag, sign

KEY_A = NodeKey.from_seed(bytes(32))
KEY_B = NodeKey.from_seed(bytes([1]) * 32)
KEY_A2 = NodeKey.from_seed(bytes([2]) * 32)
KEY_C = NodeKey.from_seed(bytes([3]) * 32)
KEY_A3 = NodeKey.from_seed(bytes([4]) * 32)
A, B, C = KEY_A.did, KEY_B.did, KEY_C.did

T0_MS = 1_767_225_600_000
DAY_MS = 86_400_000
NOW_MS = T0_MS + 3 * DAY_MS


def feed_a() -> list[Entry]:
    """A: profile, rotate to A2 at seq 2, an event, rotate to A3 at seq 4."""
    profile = build_entry(
        KEY_A, A, 1, None, T0_MS, "space.profile", {"name": "A", "timezone": "UTC"}
    )
    rotate1 = build_entry(
        KEY_A,
        A,
        2,
        profile.hash,
        T0_MS + DAY_MS,
        "key.rotate",
        rotation_body(KEY_A, KEY_A2, A, 2),
    )
    other = build_entry(
        KEY_A2, A, 3, rotate1.hash, T0_MS + DAY_MS + 1, "resource.remove", {"id": "desk-1"}
    )
    rotate2 = build_entry(
        KEY_A2,
        A,
        4,
        other.hash,
        T0_MS + 2 * DAY_MS,
        "key.rotate",
        rotation_body(KEY_A2, KEY_A3, A, 4),
    )
    return [profile, rotate1, other, rotate2]


FEED_A = feed_a()
ROTATIONS_A = [FEED_A[1], FEED_A[3]]


def descriptor_b(**overrides: Any) -> dict[str, Any]:
    args: dict[str, Any] = {
        "key": KEY_B,
        "node_id": B,
        "name": "Spazio B",
        "url": "https://b.example",
        "key_entries": [],
        "ts_ms": NOW_MS,
    }
    args.update(overrides)
    return build_descriptor(**args)


def descriptor_a() -> dict[str, Any]:
    return build_descriptor(KEY_A3, A, "Spazio A", "https://a.example", ROTATIONS_A, NOW_MS)


def resign(doc: dict[str, Any], key: NodeKey) -> dict[str, Any]:
    """Sign a (modified) descriptor again, so only the change under test is wrong."""
    unsigned = {k: v for k, v in doc.items() if k != "sig"}
    return {**unsigned, "sig": sign(key, Tag.DESCRIPTOR, unsigned)}


def refused(reason: str, doc: Any, expected_id: str | None = None, **kw: Any) -> DescriptorError:
    assert reason in DESCRIPTOR_REASONS
    with pytest.raises(DescriptorError) as info:
        verify_descriptor(doc, expected_id, kw.pop("now_ms", NOW_MS), **kw)
    assert info.value.reason == reason, info.value
    return info.value


# --- building and verifying ----------------------------------------------------------------


def test_descriptor_of_a_node_that_never_rotated() -> None:
    doc = descriptor_b()
    assert set(doc) == {
        "type",
        "protocol",
        "id",
        "name",
        "url",
        "keys",
        "key_entries",
        "endpoints",
        "ts",
        "sig",
    }
    assert doc["type"] == "spazi.descriptor" and doc["protocol"] == 1
    assert doc["keys"] == [{"kid": KEY_B.kid, "from_seq": 1, "from_ts": 0}]
    assert doc["key_entries"] == []
    assert doc["endpoints"] == DEFAULT_ENDPOINTS
    descriptor, ring = verify_descriptor(doc, B, NOW_MS)
    assert (descriptor.id, descriptor.name, descriptor.url, descriptor.ts) == (
        B,
        "Spazio B",
        "https://b.example",
        NOW_MS,
    )
    assert ring.current(B).kid == KEY_B.kid
    assert ring.known_nodes() == [B]


def test_newcomer_follows_rotations_from_the_genesis_key() -> None:
    doc = descriptor_a()
    assert [e["seq"] for e in doc["key_entries"]] == [2, 4]
    descriptor, ring = verify_descriptor(doc, A, NOW_MS)
    assert [p.kid for p in ring.periods(A)] == [KEY_A.kid, KEY_A2.kid, KEY_A3.kid]
    assert ring.current(A).public == KEY_A3.public
    assert ring.key_for_seq(A, 3).kid == KEY_A2.kid
    assert descriptor.keys == ring.periods(A)
    assert [e.seq for e in descriptor.key_entries] == [2, 4]
    assert doc["keys"] == [p.describe() for p in ring.periods(A)]
    assert doc["keys"][0]["until_seq"] == 2 and doc["keys"][1]["until_ts"] == T0_MS + 2 * DAY_MS


def test_build_accepts_entry_objects_and_dicts_alike() -> None:
    as_dicts = [e.to_dict() for e in ROTATIONS_A]
    assert (
        build_descriptor(KEY_A3, A, "Spazio A", "https://a.example", as_dicts, NOW_MS)
        == descriptor_a()
    )


def test_build_refuses_a_key_that_is_not_current() -> None:
    for key, entries in ((KEY_A2, ROTATIONS_A), (KEY_A, ROTATIONS_A), (KEY_B, [])):
        with pytest.raises(DescriptorError) as info:
            build_descriptor(key, A, "Spazio A", "https://a.example", entries, NOW_MS)
        assert info.value.reason == "bad-key-entry"


def test_build_refuses_bad_fields() -> None:
    for overrides in (
        {"url": "ftp://b.example"},
        {"name": ""},
        {"node_id": "did:web:b.example"},
        {"endpoints": {**DEFAULT_ENDPOINTS, "heads": "heads"}},
    ):
        with pytest.raises(DescriptorError) as info:
            descriptor_b(**overrides)
        assert info.value.reason == "malformed-descriptor"


def test_expected_id_none_discovers_the_id() -> None:
    descriptor, _ = verify_descriptor(descriptor_b(), None, NOW_MS)
    assert descriptor.id == B


def test_endpoint_urls_are_paths_under_the_node_url() -> None:
    descriptor, _ = verify_descriptor(descriptor_b(url="https://b.example/spazi/"), B, NOW_MS)
    assert descriptor.endpoint_url("heads") == "https://b.example/spazi/federation/v1/heads"
    assert descriptor.endpoint_url("jwks") == "https://b.example/spazi/.well-known/jwks.json"
    custom = {**DEFAULT_ENDPOINTS, "inbox": "/inbox"}
    descriptor, _ = verify_descriptor(descriptor_b(endpoints=custom), B, NOW_MS)
    assert descriptor.endpoint_url("inbox") == "https://b.example/inbox"


def test_rebuild_keyring_alone() -> None:
    ring, entries = rebuild_keyring(A, ROTATIONS_A, NOW_MS)
    assert ring.current(A).kid == KEY_A3.kid
    assert [e.hash for e in entries] == [e.hash for e in ROTATIONS_A]


# --- refusals ---------------------------------------------------------------------------------


def test_wrong_node_id_is_how_peer_join_spots_an_impostor() -> None:
    # The node at the invited URL answers with its own (valid) descriptor, but it is not A.
    refused("wrong-node-id", descriptor_b(), A)


def test_impostor_copying_the_id_cannot_sign() -> None:
    # C serves a descriptor naming A's id and signs it with its own key.
    doc = resign(
        {**descriptor_b(), "id": A, "keys": [KeyPeriod(KEY_A.kid, KEY_A.public, 1).describe()]},
        KEY_C,
    )
    refused("bad-signature", doc, A)


def test_key_list_is_rebuilt_not_trusted() -> None:
    # An impostor lists its own key as A's current key: the key entries do not lead there.
    doc = descriptor_a()
    doc["keys"] = [*doc["keys"][:-1], {**doc["keys"][-1], "kid": KEY_C.kid}]
    refused("keys-mismatch", resign(doc, KEY_C), A)


def test_keys_missing_a_retired_key_is_keys_mismatch() -> None:
    doc = descriptor_a()
    doc["keys"] = doc["keys"][1:]
    refused("keys-mismatch", resign(doc, KEY_A3), A)


def test_signed_by_a_retired_key_is_bad_signature() -> None:
    refused("bad-signature", resign(descriptor_a(), KEY_A2), A)


def test_dropping_a_rotation_entry_breaks_the_chain() -> None:
    doc = descriptor_a()
    doc["key_entries"] = doc["key_entries"][1:]  # seq 4 is signed by A2, unknown without seq 2
    refused("bad-key-entry", resign(doc, KEY_A3), A)


def test_all_entries_dropped_shows_in_keys() -> None:
    doc = descriptor_a()
    doc["key_entries"] = []
    refused("keys-mismatch", resign(doc, KEY_A3), A)


@pytest.mark.parametrize(
    "change",
    [
        lambda entries: list(reversed(entries)),
        lambda entries: [entries[0], entries[0], entries[1]],
        lambda entries: [FEED_A[0].to_dict(), *entries],  # not a key.rotate entry
        lambda entries: [{**entries[0], "origin": B}],
        lambda entries: [{**entries[0], "sig": entries[1]["sig"]}, entries[1]],
        lambda entries: [{**entries[0], "ts": entries[0]["ts"] + 1}, entries[1]],
        lambda entries: ["not an entry"],
        lambda entries: [{**entries[0], "seq": True}],
    ],
)
def test_bad_key_entries(change: Any) -> None:
    doc = descriptor_a()
    doc["key_entries"] = change(copy.deepcopy(doc["key_entries"]))
    refused("bad-key-entry", resign(doc, KEY_A3), A)


def test_rotation_from_another_node_is_bad_key_entry() -> None:
    # A well-signed rotation of C cannot appear among A's entries.
    rotate_c = build_entry(
        KEY_C, C, 1, None, T0_MS, "key.rotate", rotation_body(KEY_C, KEY_A3, C, 1)
    )
    doc = descriptor_b()
    doc["key_entries"] = [rotate_c.to_dict()]
    refused("bad-key-entry", resign(doc, KEY_B), B)


def test_rotation_dated_in_the_future_is_bad_key_entry() -> None:
    # Entries more than 5 minutes ahead of the verifier's clock are refused, key entries too.
    future = build_entry(
        KEY_B, B, 1, None, NOW_MS + 10 * 60_000, "key.rotate", rotation_body(KEY_B, KEY_C, B, 1)
    )
    ring, _ = rebuild_keyring(B, [future], future.ts)
    doc = descriptor_b()
    doc["key_entries"] = [future.to_dict()]
    doc["keys"] = [p.describe() for p in ring.periods(B)]
    doc = resign(doc, KEY_C)
    assert verify_descriptor(doc, B, future.ts)[1].current(B).kid == KEY_C.kid
    refused("bad-key-entry", doc, B)


def test_too_many_key_entries_is_malformed() -> None:
    doc = descriptor_b()
    doc["key_entries"] = [{}] * (MAX_KEY_ENTRIES + 1)
    refused("malformed-descriptor", resign(doc, KEY_B), B)


def test_tampered_signature_and_fields() -> None:
    doc = descriptor_b()
    raw = bytearray(b64u_decode(doc["sig"]))
    raw[0] ^= 1
    refused("bad-signature", {**doc, "sig": b64u_encode(bytes(raw))}, B)
    refused("bad-signature", {**doc, "sig": "not base64!"}, B)
    refused("bad-signature", {**doc, "name": "Spazio C"}, B)
    refused("bad-signature", {**doc, "url": "https://c.example"}, B)
    refused("bad-signature", {**doc, "ts": NOW_MS - 1}, B)
    refused("bad-signature", {**doc, "endpoints": {**DEFAULT_ENDPOINTS, "inbox": "/x"}}, B)


@settings(max_examples=60)
@given(
    field=st.sampled_from(["name", "url", "ts", "endpoints.heads", "endpoints.inbox"]),
    suffix=st.text("abcdefghij", min_size=1, max_size=8),
)
def test_any_change_to_a_signed_field_fails(field: str, suffix: str) -> None:
    doc = copy.deepcopy(descriptor_b())
    if field == "ts":
        doc["ts"] -= len(suffix)
    elif field.startswith("endpoints."):
        doc["endpoints"][field.split(".")[1]] += suffix
    else:
        doc[field] += suffix
    refused("bad-signature", doc, B)


@pytest.mark.parametrize(
    "change",
    [
        lambda d: {**d, "extra": 1},
        lambda d: {k: v for k, v in d.items() if k != "endpoints"},
        lambda d: {**d, "type": "spazi.node"},
        lambda d: {**d, "protocol": True},
        lambda d: {**d, "protocol": "1"},
        lambda d: {**d, "id": "did:web:b.example"},
        lambda d: {**d, "name": ""},
        lambda d: {**d, "name": "x" * 201},
        lambda d: {**d, "ts": -1},
        lambda d: {**d, "ts": 1.5},
        lambda d: {**d, "keys": {}},
        lambda d: {**d, "key_entries": None},
        lambda d: {**d, "endpoints": {k: v for k, v in DEFAULT_ENDPOINTS.items() if k != "forks"}},
        lambda d: {**d, "endpoints": {**DEFAULT_ENDPOINTS, "extra": "/x"}},
        lambda d: {**d, "endpoints": {**DEFAULT_ENDPOINTS, "heads": "//evil.example/heads"}},
        lambda d: {**d, "endpoints": {**DEFAULT_ENDPOINTS, "heads": "https://evil.example/h"}},
        lambda d: {**d, "endpoints": {**DEFAULT_ENDPOINTS, "heads": "/heads?x=1"}},
        lambda d: {**d, "endpoints": {**DEFAULT_ENDPOINTS, "feeds": "/federation/v1/feeds"}},
        lambda d: {**d, "endpoints": {**DEFAULT_ENDPOINTS, "heads": "/" + "x" * 200}},
        lambda d: {**d, "endpoints": {**DEFAULT_ENDPOINTS, "heads": 5}},
        lambda d: [d],
    ],
)
def test_malformed_descriptor(change: Any) -> None:
    doc = change(descriptor_b())
    if isinstance(doc, dict) and "sig" in doc:
        with contextlib.suppress(CanonicalError):  # a float can't be signed; send it unsigned
            doc = resign(doc, KEY_B)
    refused("malformed-descriptor", doc, B)


@pytest.mark.parametrize(
    "url",
    [
        "ftp://b.example",
        "b.example",
        "https://",
        "https://user:pw@b.example",
        "https://b.example?x=1",
        "https://b.example/#top",
        "https://b.example/a b",
        "https://bé.example",
        "https://b.example:99999",
        "javascript:alert(1)",
        "",
        "https://b.example/" + "x" * 2000,
    ],
)
def test_bad_urls(url: str) -> None:
    with pytest.raises(DescriptorError) as info:
        check_url(url)
    assert info.value.reason == "malformed-descriptor"
    refused("malformed-descriptor", resign({**descriptor_b(), "url": url}, KEY_B), B)


@pytest.mark.parametrize(
    "url",
    ["https://b.example", "http://127.0.0.1:8000", "https://b.example/spazi/", "http://[::1]:80"],
)
def test_good_urls(url: str) -> None:
    check_url(url)


def test_unsupported_protocol() -> None:
    refused("unsupported-protocol", resign({**descriptor_b(), "protocol": 2}, KEY_B), B)


def test_future_and_stale_descriptors() -> None:
    doc = descriptor_b(ts_ms=NOW_MS + 5 * 60_000 + 1)
    refused("future-timestamp", doc, B)
    assert verify_descriptor(descriptor_b(ts_ms=NOW_MS + 5 * 60_000), B, NOW_MS)
    old = descriptor_b(ts_ms=NOW_MS - DAY_MS)
    assert verify_descriptor(old, B, NOW_MS)
    refused("stale-descriptor", old, B, max_age_ms=DAY_MS - 1)
    assert verify_descriptor(old, B, NOW_MS, max_age_ms=DAY_MS)


def test_non_canonical_content_is_malformed() -> None:
    refused("malformed-descriptor", {**descriptor_b(), "name": "\ud800"}, B)


def test_reasons_are_the_documented_set() -> None:
    assert set(DESCRIPTOR_REASONS) == {
        "malformed-descriptor",
        "unsupported-protocol",
        "wrong-node-id",
        "bad-key-entry",
        "keys-mismatch",
        "bad-signature",
        "future-timestamp",
        "stale-descriptor",
    }


def test_rotation_to_a_non_ed25519_key_is_bad_key_entry() -> None:
    x25519 = "z" + base58.b58encode(b"\xec\x01" + bytes(32)).decode()
    body = {"new_key": x25519, "new_key_sig": "A" * 86}
    entry = build_entry(KEY_B, B, 1, None, T0_MS, "key.rotate", body)
    doc = descriptor_b()
    doc["key_entries"] = [entry.to_dict()]
    refused("bad-key-entry", resign(doc, KEY_B), B)
