"""Pages of entries as feed continuations, key rotation inside a page, and fork proofs."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from federation.canonical import parse_strict
from federation.entries import Entry, build_entry, rotation_body
from federation.errors import EntryError, ForkProofError
from federation.feeds import Head, make_fork_proof, verify_fork_proof, verify_page
from federation.keyring import Keyring
from federation.signing import Tag, sign
from tests.federation.builders import (
    FIVE_MINUTES_MS,
    KEY_A,
    KEY_A2,
    KEY_B,
    KEY_C,
    NOW_MS,
    A,
    B,
    build_feed,
    dicts,
    event_body,
    rotated_feed,
    sign_unchecked,
)

FEED = build_feed(KEY_A, 6)


def _page_bytes(docs: list[dict[str, Any]]) -> list[Any]:
    """The page as a peer sends it and the sync path parses it."""
    return parse_strict(json.dumps({"entries": docs}).encode())["entries"]  # type: ignore[no-any-return]


def _refuse(head: Head, docs: list[dict[str, Any]], keyring: Keyring | None = None) -> EntryError:
    """Refusal of ``docs`` on both the checked and the unchecked path; the reasons must agree."""
    ring = keyring if keyring is not None else Keyring()
    errors = []
    for checked, page in ((False, docs), (True, _page_bytes(docs))):
        with pytest.raises(EntryError) as info:
            verify_page(A, head, page, ring, NOW_MS, checked=checked)
        errors.append(info.value)
    assert errors[0].reason == errors[1].reason
    return errors[0]


def test_whole_feed_verifies_from_empty_head() -> None:
    for checked, page in ((False, dicts(FEED)), (True, _page_bytes(dicts(FEED)))):
        verified = verify_page(A, Head(), page, Keyring(), NOW_MS, checked=checked)
        assert verified == FEED


def test_continuation_in_pages() -> None:
    ring = Keyring()
    first = verify_page(A, Head(), dicts(FEED[:2]), ring, NOW_MS)
    rest = verify_page(A, Head(2, first[-1].hash), dicts(FEED[2:]), ring, NOW_MS)
    assert first + rest == FEED


def test_empty_page_means_caught_up() -> None:
    assert verify_page(A, Head(6, FEED[-1].hash), [], Keyring(), NOW_MS) == []


@settings(max_examples=100, deadline=None)
@given(st.permutations(range(6)).filter(lambda p: list(p) != list(range(6))))
def test_any_reordering_is_refused(order: list[int]) -> None:
    docs = [FEED[i].to_dict() for i in order]
    assert _refuse(Head(), docs).reason == "seq-gap"


@settings(max_examples=50, deadline=None)
@given(st.integers(0, 5))
def test_any_gap_is_refused(missing: int) -> None:
    docs = [d for i, d in enumerate(dicts(FEED)) if i != missing]
    if missing == 5:  # dropping the last entry is just a shorter page
        assert len(verify_page(A, Head(), docs, Keyring(), NOW_MS)) == 5
    else:
        assert _refuse(Head(), docs).reason == "seq-gap"


def test_gap_after_head() -> None:
    refusal = _refuse(Head(2, FEED[1].hash), dicts(FEED[3:]))
    assert refusal.reason == "seq-gap"
    assert "expected seq 3" in refusal.detail


def test_page_starting_before_head_is_refused() -> None:
    assert _refuse(Head(3, FEED[2].hash), dicts(FEED[2:])).reason == "seq-gap"


def test_wrong_prev_is_refused_even_when_well_signed() -> None:
    docs = dicts(FEED)
    docs[3] = sign_unchecked(KEY_A, {**docs[3], "prev": "00" * 32})
    assert _refuse(Head(), docs).reason == "bad-prev"


def test_head_hash_must_match() -> None:
    """The page continues *our* copy of the feed: a different hash at our head is a bad prev."""
    assert _refuse(Head(2, "11" * 32), dicts(FEED[2:])).reason == "bad-prev"


def test_entry_of_another_origin_is_refused() -> None:
    other = build_feed(KEY_B, 3)
    docs = [*dicts(FEED[:2]), other[2].to_dict()]
    assert _refuse(Head(), docs).reason == "wrong-origin"
    # An entry claiming origin B but placed in A's page, even if B signed it right.
    assert _refuse(Head(), dicts(other)).reason == "wrong-origin"


def test_relayed_entry_resigned_by_the_relay_is_refused() -> None:
    """B relays A's feed but re-signs entry 3: the origin's key is what counts (protocol.md
    §Security considerations, item 3)."""
    docs = dicts(FEED)
    docs[2] = sign_unchecked(KEY_B, docs[2])
    assert _refuse(Head(), docs).reason == "bad-signature"


def test_page_too_large() -> None:
    with pytest.raises(EntryError) as info:
        verify_page(A, Head(), dicts(FEED), Keyring(), NOW_MS, max_entries=5)
    assert info.value.reason == "page-too-large"


def test_non_object_entry() -> None:
    assert _refuse(Head(), [*dicts(FEED[:1]), "entry"]).reason == "malformed-entry"  # type: ignore[list-item]


@pytest.mark.parametrize(
    ("position", "changes", "reason"),
    [
        (2, {"ts": NOW_MS + FIVE_MINUTES_MS + 1}, "future-timestamp"),
        (2, {"type": "event.delete"}, "unknown-entry-type"),
        (2, {"body": {**event_body(3), "colour": "red"}}, "bad-body"),
        (2, {"body": {"id": "ev-3"}}, "bad-body"),
        (2, {"body": {**event_body(3), "end": "2026-03-04T08:00"}}, "bad-body"),
        (2, {"body": {**event_body(3), "description": "x" * 70_000}}, "entry-too-large"),
    ],
)
def test_one_bad_entry_refuses_the_page(
    position: int, changes: dict[str, Any], reason: str
) -> None:
    docs = dicts(FEED)
    docs[position] = sign_unchecked(KEY_A, {**docs[position], **changes})
    refusal = _refuse(Head(), docs)
    assert refusal.reason == reason


# -- key rotation ---------------------------------------------------------------------------------


def test_rotation_inside_a_page() -> None:
    feed = rotated_feed()
    ring = Keyring()
    assert verify_page(A, Head(), dicts(feed), ring, NOW_MS) == feed
    old, new = ring.periods(A)
    assert (old.kid, old.from_seq, old.until_seq) == (KEY_A.kid, 1, 3)
    assert (old.from_ts, old.until_ts) == (0, NOW_MS - 500)
    assert (new.kid, new.from_seq, new.until_seq) == (KEY_A2.kid, 4, None)
    assert (new.from_ts, new.until_ts) == (NOW_MS - 500, None)
    assert ring.current(A).kid == KEY_A2.kid


def test_rotation_carries_to_the_next_page() -> None:
    feed = rotated_feed(after=3)
    ring = Keyring()
    verify_page(A, Head(), dicts(feed[:4]), ring, NOW_MS)
    verify_page(A, Head(4, feed[3].hash), dicts(feed[4:]), ring, NOW_MS)
    # Without the rotation, the continuation is refused: the genesis key no longer signs.
    refusal = _refuse(Head(4, feed[3].hash), dicts(feed[4:]))
    assert refusal.reason == "bad-signature"


def test_entry_after_rotation_signed_by_old_key_is_refused() -> None:
    feed = rotated_feed()
    docs = dicts(feed)
    docs[3] = sign_unchecked(KEY_A, docs[3])
    ring = Keyring()
    assert _refuse(Head(), docs, ring).reason == "bad-signature"
    assert len(ring.periods(A)) == 1  # the rotation earlier in the refused page left no trace


def test_rotation_entry_signed_by_new_key_is_refused() -> None:
    docs = dicts(rotated_feed())
    docs[2] = sign_unchecked(KEY_A2, docs[2])
    assert _refuse(Head(), docs).reason == "bad-signature"


@pytest.mark.parametrize(
    "new_key_sig",
    [
        sign(KEY_C, Tag.KEY_ROTATE, {"new_key": KEY_A2.kid, "origin": A, "seq": 3}),  # not new key
        sign(KEY_A2, Tag.KEY_ROTATE, {"new_key": KEY_A2.kid, "origin": A, "seq": 4}),  # other seq
        sign(KEY_A2, Tag.KEY_ROTATE, {"new_key": KEY_A2.kid, "origin": B, "seq": 3}),  # other node
        sign(KEY_A2, Tag.ENTRY, {"new_key": KEY_A2.kid, "origin": A, "seq": 3}),  # other tag
    ],
)
def test_rotation_with_wrong_proof_of_possession_is_refused(new_key_sig: str) -> None:
    docs = dicts(rotated_feed())
    body = {**docs[2]["body"], "new_key_sig": new_key_sig}
    docs[2] = sign_unchecked(KEY_A, {**docs[2], "body": body})
    ring = Keyring()
    refusal = _refuse(Head(), docs, ring)
    assert refusal.reason == "bad-key-rotation"
    assert len(ring.periods(A)) == 1


def test_rotation_to_a_key_used_before_is_refused() -> None:
    feed = rotated_feed()
    body = rotation_body(KEY_A2, KEY_A, A, 6)  # back to the genesis key
    back = build_entry(KEY_A2, A, 6, feed[-1].hash, NOW_MS - 100, "key.rotate", body)
    refusal = _refuse(Head(), dicts([*feed, back]))
    assert refusal.reason == "bad-key-rotation"
    assert "never used before" in refusal.detail


def test_rotation_to_a_non_ed25519_key_is_refused() -> None:
    import base58

    fake = "z" + base58.b58encode(b"\xec\x01" + bytes(range(32))).decode()
    docs = dicts(rotated_feed())
    body = {"new_key": fake, "new_key_sig": docs[2]["body"]["new_key_sig"]}
    docs[2] = sign_unchecked(KEY_A, {**docs[2], "body": body})
    assert _refuse(Head(), docs).reason == "bad-key-rotation"


def test_compromised_since_ends_the_old_key_earlier_in_time() -> None:
    feed = rotated_feed(compromised_since=NOW_MS - 5_000)
    ring = Keyring()
    verify_page(A, Head(), dicts(feed), ring, NOW_MS)
    old, new = ring.periods(A)
    assert old.until_ts == NOW_MS - 5_000 and old.until_seq == 3
    assert [p.kid for p in ring.keys_valid_at(A, NOW_MS - 5_001)] == [KEY_A.kid]
    assert ring.keys_valid_at(A, NOW_MS - 5_000) == []  # old key distrusted, new one not yet
    assert [p.kid for p in ring.keys_valid_at(A, NOW_MS - 500)] == [KEY_A2.kid]
    assert new.from_ts == NOW_MS - 500


def test_refused_page_leaves_the_keyring_untouched() -> None:
    feed = rotated_feed(after=3)
    docs = dicts(feed)
    docs[5] = sign_unchecked(KEY_A2, {**docs[5], "ts": NOW_MS + FIVE_MINUTES_MS + 1})
    ring = Keyring()
    ring.periods(A)
    before = list(ring.periods(A))
    assert _refuse(Head(), docs, ring).reason == "future-timestamp"
    assert ring.periods(A) == before


# -- fork proofs ----------------------------------------------------------------------------------


def _fork() -> tuple[Entry, Entry]:
    """Two different, validly signed entries at A's seq 3."""
    one = FEED[2]
    other = build_entry(KEY_A, A, 3, FEED[1].hash, one.ts, "event.put", event_body(99))
    return one, other


def test_make_and_verify_fork_proof() -> None:
    one, other = _fork()
    proof = make_fork_proof(one, other)
    assert proof == make_fork_proof(other, one)  # order-independent: sorted by hash
    assert proof["type"] == "spazi.fork-proof" and proof["origin"] == A and proof["seq"] == 3
    a, b = verify_fork_proof(proof)
    assert {a.hash, b.hash} == {one.hash, other.hash}
    # A proof survives the trip over the wire.
    verify_fork_proof(parse_strict(json.dumps(proof).encode()))


def test_fork_with_different_prev_is_still_a_fork() -> None:
    one = FEED[2]
    other = build_entry(KEY_A, A, 3, "22" * 32, one.ts, "event.put", one.body)
    verify_fork_proof(make_fork_proof(one, other))


def test_fork_after_rotation_needs_the_keyring() -> None:
    feed = rotated_feed()
    one = feed[3]
    other = build_entry(KEY_A2, A, 4, feed[2].hash, one.ts, "event.put", event_body(42))
    proof = make_fork_proof(one, other)
    with pytest.raises(ForkProofError) as info:
        verify_fork_proof(proof)  # genesis key only: entry 4 is not A's genesis key's
    assert "bad-signature" in info.value.detail
    ring = Keyring()
    verify_page(A, Head(), dicts(feed[:3]), ring, NOW_MS)
    verify_fork_proof(proof, ring)


def test_make_fork_proof_refuses_non_forks() -> None:
    one, _ = _fork()
    for a, b in ((one, one), (FEED[2], FEED[3]), (one, build_feed(KEY_B, 3)[2])):
        with pytest.raises(ForkProofError) as info:
            make_fork_proof(a, b)
        assert info.value.reason == "bad-fork-proof"


def _tamper(proof: dict[str, Any], path: tuple[Any, ...], value: Any) -> dict[str, Any]:
    proof = copy.deepcopy(proof)
    target: Any = proof
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = value
    return proof


@pytest.mark.parametrize(
    ("path", "value", "detail"),
    [
        (("entries", 1, "body", "title"), "Changed", "does not verify: bad-signature"),
        (("entries", 0, "sig"), FEED[0].sig, "does not verify: bad-signature"),
        (("entries", 1, "origin"), B, "does not verify: bad-signature"),
        (("seq",), 4, "not at the proof's origin and seq"),
        (("origin",), B, "not at the proof's origin and seq"),
        (("type",), "spazi.fork", "type must be spazi.fork-proof"),
        (("entries",), [], "exactly two entries"),
        (("extra",), 1, "type, origin, seq and entries"),
    ],
)
def test_tampered_fork_proofs_are_refused(path: tuple[Any, ...], value: Any, detail: str) -> None:
    proof = make_fork_proof(*_fork())
    with pytest.raises(ForkProofError) as info:
        verify_fork_proof(_tamper(proof, path, value))
    assert info.value.reason == "bad-fork-proof"
    assert detail in info.value.detail


def test_identical_entries_are_not_a_fork() -> None:
    proof = make_fork_proof(*_fork())
    proof["entries"] = [proof["entries"][0], copy.deepcopy(proof["entries"][0])]
    with pytest.raises(ForkProofError) as info:
        verify_fork_proof(proof)
    assert "the same" in info.value.detail


def test_entries_at_different_seqs_are_not_a_fork() -> None:
    proof = make_fork_proof(*_fork())
    proof["entries"][1] = FEED[3].to_dict()
    with pytest.raises(ForkProofError) as info:
        verify_fork_proof(proof)
    assert "not at the proof's origin and seq" in info.value.detail


def test_entries_of_different_origins_are_not_a_fork() -> None:
    proof = make_fork_proof(*_fork())
    proof["entries"][1] = build_feed(KEY_C, 3)[2].to_dict()
    with pytest.raises(ForkProofError) as info:
        verify_fork_proof(proof)
    assert "not at the proof's origin and seq" in info.value.detail


def test_fork_proof_that_is_not_an_object() -> None:
    with pytest.raises(ForkProofError) as info:
        verify_fork_proof([FEED[0].to_dict(), FEED[0].to_dict()])
    assert info.value.reason == "bad-fork-proof"
