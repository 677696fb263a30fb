"""One feed entry: build, sign, hash, and the refusals of parse_entry."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from federation.canonical import canonicalize, parse_strict
from federation.encoding import b64u_decode, b64u_encode, sha256_hex
from federation.entries import (
    MAX_ENTRY_BYTES,
    body_json,
    build_entry,
    parse_entry,
)
from federation.errors import BodyError, CanonicalError, EntryError
from federation.feeds import Head, verify_page
from federation.keyring import Keyring
from federation.signing import Tag, signing_input
from tests.federation.builders import (
    FIVE_MINUTES_MS,
    KEY_A,
    KEY_B,
    NOW_MS,
    A,
    B,
    build_feed,
    event_body,
    example_bodies,
    sign_unchecked,
)

# A fixed two-entry feed of A: the tampering tests change entry 2.
FEED = build_feed(KEY_A, 2)
SECOND = FEED[1]
HEAD_AFTER_FIRST = Head(1, FEED[0].hash)


def _refusal(doc: Any, now_ms: int = NOW_MS) -> EntryError:
    """Run ``doc`` through every verification path and return the (common) refusal."""
    errors: list[EntryError] = []
    try:
        parse_entry(doc, Keyring(), now_ms)
    except EntryError as exc:
        errors.append(exc)
    data = json.dumps(doc).encode("utf-8")
    try:
        parse_entry(parse_strict(data), Keyring(), now_ms, checked=True)
    except EntryError as exc:
        errors.append(exc)
    try:
        verify_page(A, HEAD_AFTER_FIRST, [parse_strict(data)], Keyring(), now_ms, checked=True)
    except EntryError as exc:
        errors.append(exc)
    assert len(errors) == 3, "a path accepted the entry"
    reasons = {e.reason for e in errors}
    assert len(reasons) == 1, reasons
    return errors[0]


def test_build_entry_fields_hash_and_raw() -> None:
    entry = SECOND
    assert (entry.origin, entry.seq, entry.prev, entry.type) == (A, 2, FEED[0].hash, "event.put")
    assert entry.raw == canonicalize(entry.to_dict())
    assert entry.hash == sha256_hex(entry.raw)
    unsigned = {k: v for k, v in entry.to_dict().items() if k != "sig"}
    assert KEY_A.public.verify(b64u_decode(entry.sig), signing_input(Tag.ENTRY, unsigned)) is None


def test_parse_entry_round_trip_all_paths() -> None:
    doc = SECOND.to_dict()
    assert parse_entry(doc, Keyring(), NOW_MS) == SECOND
    assert parse_entry(parse_strict(SECOND.raw), Keyring(), NOW_MS, checked=True) == SECOND


def test_received_bytes_are_not_trusted_only_re_encoded() -> None:
    """Whitespace and member order in what was received don't matter; the hash is canonical."""
    doc = SECOND.to_dict()
    shuffled = json.dumps(dict(reversed(list(doc.items()))), indent=2, ensure_ascii=True)
    entry = parse_entry(parse_strict(shuffled.encode()), Keyring(), NOW_MS, checked=True)
    assert entry.raw == SECOND.raw and entry.hash == SECOND.hash


@pytest.mark.parametrize("entry_type", sorted(example_bodies()))
def test_every_entry_type_builds_and_verifies(entry_type: str) -> None:
    body = example_bodies()[entry_type]
    entry = build_entry(KEY_A, A, 2, "00" * 32, NOW_MS, entry_type, body)
    assert parse_entry(entry.to_dict(), Keyring(), NOW_MS) == entry


@pytest.mark.parametrize("entry_type", sorted(example_bodies()))
def test_body_json_is_the_canonical_body(entry_type: str) -> None:
    body = example_bodies()[entry_type]
    entry = build_entry(KEY_A, A, 3, "0" * 64, NOW_MS, entry_type, body)
    assert body_json(entry) == canonicalize(body).decode("utf-8")


@settings(max_examples=60, deadline=None)
@given(
    title=st.text(st.characters(exclude_categories=["Cs", "Cc"]), min_size=1, max_size=80),
    description=st.sampled_from(['x,"origin":"did:key:z6Mk"', '"},"origin":"', "caffè ☕", "}"]),
)
def test_body_json_survives_text_that_looks_like_the_cut(title: str, description: str) -> None:
    body = {**event_body(4), "title": title, "description": description}
    entry = build_entry(KEY_A, A, 1, None, NOW_MS, "event.put", body)
    assert body_json(entry) == canonicalize(entry.body).decode("utf-8")
    assert json.loads(body_json(entry)) == body


# -- hypothesis: any change to a signed field breaks verification ---------------------------------

_ALPHABET = st.characters(exclude_categories=["Cs", "Cc"])


_IDENT = r"[A-Za-z0-9][A-Za-z0-9._\-]{0,20}"
_OPTIONAL = ["description", "capacity", "tags", "cohosts", "url"]


def _body_mutations() -> st.SearchStrategy[tuple[str, Any]]:
    """(field, new value) pairs that keep the event.put body valid but change it."""
    original = SECOND.body
    return st.one_of(
        st.tuples(st.just("title"), st.text(_ALPHABET, min_size=1, max_size=200)),
        st.tuples(st.just("description"), st.text(_ALPHABET, max_size=50)),
        st.tuples(st.just("capacity"), st.integers(1, 100_000)),
        st.tuples(st.just("price_minor"), st.integers(0, 10**9)),
        st.tuples(st.just("currency"), st.sampled_from(["USD", "GBP", "CHF"])),
        st.tuples(st.just("timezone"), st.sampled_from(["UTC", "Europe/London", "Asia/Tokyo"])),
        st.tuples(st.just("start"), st.sampled_from(["2026-03-04T08:59", "2026-03-04T09:00:01"])),
        st.tuples(st.just("end"), st.sampled_from(["2026-03-04T10:31", "2027-01-01T00:00"])),
        st.tuples(st.just("tags"), st.lists(st.sampled_from(["a", "b", "c"]), unique=True)),
        st.tuples(st.just("cohosts"), st.sampled_from([[], [A], [A, B]])),
        st.tuples(st.just("url"), st.sampled_from(["https://x.example", "http://thecube.example"])),
        st.tuples(st.just("id"), st.from_regex(_IDENT, fullmatch=True)),
        # None: drop the optional field
        st.tuples(st.sampled_from(_OPTIONAL), st.none()),
    ).filter(lambda change: original.get(change[0]) != change[1])


def _entry_mutations() -> st.SearchStrategy[tuple[str, Any]]:
    return st.one_of(
        st.tuples(st.just("origin"), st.just(B)),
        st.tuples(st.just("seq"), st.integers(2, 2**53 - 1).filter(lambda s: s != 2)),
        st.tuples(
            st.just("prev"),
            st.from_regex(r"[0-9a-f]{64}", fullmatch=True).filter(lambda p: p != SECOND.prev),
        ),
        st.tuples(st.just("ts"), st.integers(0, NOW_MS).filter(lambda t: t != SECOND.ts)),
        st.tuples(st.just("body"), _body_mutations()),
        st.tuples(st.just("sig"), st.tuples(st.integers(0, 63), st.integers(1, 255))),
    )


def _mutate(doc: dict[str, Any], field: str, value: Any) -> dict[str, Any]:
    doc = copy.deepcopy(doc)
    if field == "body":
        name, new = value
        if new is None:
            del doc["body"][name]
        else:
            doc["body"][name] = new
    elif field == "sig":
        index, flip = value
        raw = bytearray(b64u_decode(doc["sig"]))
        raw[index] ^= flip
        doc["sig"] = b64u_encode(bytes(raw))
    else:
        doc[field] = value
    return doc


@settings(max_examples=300, deadline=None)
@given(_entry_mutations())
def test_changing_any_signed_field_breaks_verification(change: tuple[str, Any]) -> None:
    field, value = change
    tampered = _mutate(SECOND.to_dict(), field, value)
    # The tampered entry is still well-formed, so the only possible refusal is the signature.
    with pytest.raises(EntryError) as info:
        parse_entry(tampered, Keyring(), NOW_MS)
    assert info.value.reason == "bad-signature"
    with pytest.raises(EntryError) as info:
        parse_entry(parse_strict(canonicalize(tampered)), Keyring(), NOW_MS, checked=True)
    assert info.value.reason == "bad-signature"


def test_changing_the_type_breaks_verification() -> None:
    """event.cancel {id} re-labelled resource.remove {id}: same body, both valid, other meaning."""
    entry = build_entry(KEY_A, A, 1, None, NOW_MS, "event.cancel", {"id": "x"})
    with pytest.raises(EntryError) as info:
        parse_entry({**entry.to_dict(), "type": "resource.remove"}, Keyring(), NOW_MS)
    assert info.value.reason == "bad-signature"


def test_entry_signed_by_another_key_is_refused() -> None:
    forged = sign_unchecked(KEY_B, SECOND.to_dict())  # B signs an entry claiming origin A
    assert _refusal(forged).reason == "bad-signature"


# -- specific refusals ------------------------------------------------------------------------


def _signed(**changes: Any) -> dict[str, Any]:
    """Entry 2 of A with ``changes``, properly signed by A (so only the change is wrong)."""
    doc = {**SECOND.to_dict(), **changes}
    return sign_unchecked(KEY_A, doc)


def test_entry_too_large() -> None:
    hashes = [f"{i:064x}" for i in range(1000)]  # 1000 hashes: about 67 KB
    with pytest.raises(EntryError) as info:
        build_entry(KEY_A, A, 2, SECOND.prev, NOW_MS, "pass.revoke", {"jti_hashes": hashes})
    assert info.value.reason == "entry-too-large"
    doc = _signed(type="pass.revoke", body={"jti_hashes": hashes})
    assert len(canonicalize(doc)) > MAX_ENTRY_BYTES
    assert _refusal(doc).reason == "entry-too-large"


def test_largest_entry_that_fits_is_accepted() -> None:
    hashes = [f"{i:064x}" for i in range(900)]
    doc = _signed(type="pass.revoke", body={"jti_hashes": hashes})
    assert len(canonicalize(doc)) <= MAX_ENTRY_BYTES
    parse_entry(doc, Keyring(), NOW_MS)


def test_future_timestamp() -> None:
    limit = NOW_MS + FIVE_MINUTES_MS
    parse_entry(_signed(ts=limit), Keyring(), NOW_MS)  # exactly five minutes ahead is fine
    refusal = _refusal(_signed(ts=limit + 1))
    assert refusal.reason == "future-timestamp"


def test_unknown_type() -> None:
    assert _refusal(_signed(type="space.delete", body={})).reason == "unknown-entry-type"
    assert _refusal(_signed(type=["event.put"])).reason == "unknown-entry-type"


@pytest.mark.parametrize(
    ("body", "detail"),
    [
        ({**event_body(2), "colour": "red"}, "unknown field(s) ['colour']"),
        ({k: v for k, v in event_body(2).items() if k != "title"}, "title is required"),
        ({**event_body(2), "capacity": 0}, "capacity must be within"),
        ({**event_body(2), "capacity": "30"}, "capacity must be an integer"),
        ([], "body must be an object"),
    ],
)
def test_bad_body(body: Any, detail: str) -> None:
    refusal = _refusal(_signed(body=body))
    assert refusal.reason == "bad-body"
    assert detail in refusal.detail


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"seq": 0}, "malformed-entry"),
        ({"seq": True}, "malformed-entry"),
        ({"prev": "AB" * 32}, "malformed-entry"),
        ({"prev": "ab" * 31}, "malformed-entry"),
        ({"prev": None}, "malformed-entry"),
        ({"ts": -1}, "malformed-entry"),
        ({"ts": "1767225600000"}, "malformed-entry"),
        ({"origin": "did:web:thecube.example"}, "malformed-entry"),
        ({"origin": A.removeprefix("did:key:")}, "malformed-entry"),
    ],
)
def test_malformed_fields(changes: dict[str, Any], reason: str) -> None:
    doc = _signed(**changes)
    with pytest.raises(EntryError) as info:
        parse_entry(doc, Keyring(), NOW_MS)
    assert info.value.reason == reason


def test_missing_and_extra_members() -> None:
    doc = SECOND.to_dict()
    del doc["ts"]
    with pytest.raises(EntryError) as info:
        parse_entry(doc, Keyring(), NOW_MS)
    assert info.value.reason == "malformed-entry"
    assert "missing ['ts']" in info.value.detail
    extra = {**SECOND.to_dict(), "hash": SECOND.hash}
    with pytest.raises(EntryError) as info:
        parse_entry(extra, Keyring(), NOW_MS)
    assert info.value.reason == "malformed-entry"
    assert "unexpected ['hash']" in info.value.detail
    with pytest.raises(EntryError) as info:
        parse_entry([SECOND.to_dict()], Keyring(), NOW_MS)  # type: ignore[arg-type]
    assert info.value.reason == "malformed-entry"


def test_first_entry_must_have_null_prev() -> None:
    doc = sign_unchecked(KEY_A, {**FEED[0].to_dict(), "prev": "00" * 32})
    with pytest.raises(EntryError) as info:
        parse_entry(doc, Keyring(), NOW_MS)
    assert info.value.reason == "bad-prev"


@pytest.mark.parametrize(
    "sig",
    [
        SECOND.sig[:-1],
        SECOND.sig[:-2] + "==",
        SECOND.sig[:-1] + "+",
        None,
        b64u_encode(bytes(64))[:-1] + "B",  # unused low bits set: non-canonical
    ],
)
def test_bad_signature_encoding(sig: Any) -> None:
    with pytest.raises(EntryError) as info:
        parse_entry({**SECOND.to_dict(), "sig": sig}, Keyring(), NOW_MS)
    assert info.value.reason == "bad-signature-encoding"


def test_non_canonical_json_inside_an_unchecked_entry() -> None:
    """Entries not from parse_strict (checked=False) get the canonical-subset walk."""
    doc = {**SECOND.to_dict(), "body": {**SECOND.body, "capacity": 30.0}}
    with pytest.raises(CanonicalError) as info:
        parse_entry(doc, Keyring(), NOW_MS)
    assert info.value.reason == "non-canonical-json"


def test_build_entry_validates_before_signing() -> None:
    with pytest.raises(BodyError) as info:
        build_entry(KEY_A, A, 1, None, NOW_MS, "event.put", {"id": "x"})
    assert info.value.reason == "bad-body"
    with pytest.raises(EntryError) as info:
        build_entry(KEY_A, A, 1, None, NOW_MS, "event.delete", {"id": "x"})
    assert info.value.reason == "unknown-entry-type"
    with pytest.raises(EntryError) as info:
        build_entry(KEY_A, A, 2, None, NOW_MS, "event.cancel", {"id": "x"})
    assert info.value.reason == "malformed-entry"
