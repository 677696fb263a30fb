"""The keyring: which keys were valid for a node, by feed position and by time."""

from __future__ import annotations

import pytest

from federation.entries import rotation_body
from federation.errors import IdentityError, SignatureError
from federation.keyring import KeyPeriod, Keyring, rotation_proof_doc
from federation.keys import NodeKey
from tests.federation.builders import KEY_A, KEY_A2, KEY_B, NOW_MS, A, B

KEY_A3 = NodeKey.from_seed(bytes([13]) * 32)


def _rotated(ring: Keyring | None = None) -> Keyring:
    """A: genesis for seq 1..3 (until NOW-1000), A2 for 4..7 (until NOW), A3 from 8."""
    ring = ring if ring is not None else Keyring()
    ring.apply_rotation(A, 3, NOW_MS - 1000, rotation_body(KEY_A, KEY_A2, A, 3))
    ring.apply_rotation(A, 7, NOW_MS, rotation_body(KEY_A2, KEY_A3, A, 7))
    return ring


def test_unknown_node_starts_with_its_genesis_key() -> None:
    ring = Keyring()
    (period,) = ring.periods(A)
    assert period.kid == KEY_A.kid
    assert (period.from_seq, period.until_seq) == (1, None)
    assert (period.from_ts, period.until_ts) == (0, None)
    assert ring.current(A) == period
    assert ring.key_for_seq(A, 10**9) == period
    assert ring.known_nodes() == [A]


def test_periods_of_a_non_node_id_raise() -> None:
    with pytest.raises(IdentityError):
        Keyring().periods("did:web:example.com")


def test_key_for_seq_follows_rotations() -> None:
    ring = _rotated()
    assert [ring.key_for_seq(A, s).kid for s in (1, 3, 4, 7, 8, 1000)] == [
        KEY_A.kid, KEY_A.kid, KEY_A2.kid, KEY_A2.kid, KEY_A3.kid, KEY_A3.kid,
    ]  # fmt: skip
    assert ring.current(A).kid == KEY_A3.kid


def test_keys_valid_at_time() -> None:
    ring = _rotated()
    assert [p.kid for p in ring.keys_valid_at(A, 0)] == [KEY_A.kid]
    assert [p.kid for p in ring.keys_valid_at(A, NOW_MS - 1001)] == [KEY_A.kid]
    assert [p.kid for p in ring.keys_valid_at(A, NOW_MS - 1000)] == [KEY_A2.kid]
    assert [p.kid for p in ring.keys_valid_at(A, NOW_MS)] == [KEY_A3.kid]
    assert [p.kid for p in ring.keys_valid_at(A, NOW_MS + 10**9)] == [KEY_A3.kid]


def test_key_by_kid() -> None:
    ring = _rotated()
    period = ring.key_by_kid(A, KEY_A2.kid)
    assert period is not None and (period.from_seq, period.until_seq) == (4, 7)
    assert ring.key_by_kid(A, KEY_B.kid) is None
    assert ring.key_by_kid(B, KEY_A.kid) is None


def test_describe_lists_ends() -> None:
    old, middle, new = _rotated().periods(A)
    assert old.describe() == {
        "kid": KEY_A.kid, "from_seq": 1, "from_ts": 0, "until_seq": 3, "until_ts": NOW_MS - 1000,
    }  # fmt: skip
    assert new.describe() == {"kid": KEY_A3.kid, "from_seq": 8, "from_ts": NOW_MS}
    assert middle.covers_seq(4) and not middle.covers_seq(8)


def test_compromised_since_moves_the_end_back_in_time_only() -> None:
    ring = Keyring()
    body = rotation_body(KEY_A, KEY_A2, A, 3, compromised_since=NOW_MS - 50_000)
    ring.apply_rotation(A, 3, NOW_MS, body)
    old, new = ring.periods(A)
    assert old.until_ts == NOW_MS - 50_000 and old.until_seq == 3
    assert new.from_ts == NOW_MS
    # A compromise "after" the rotation can't extend the old key.
    ring = Keyring()
    body = rotation_body(KEY_A, KEY_A2, A, 3, compromised_since=NOW_MS + 50_000)
    ring.apply_rotation(A, 3, NOW_MS, body)
    assert ring.periods(A)[0].until_ts == NOW_MS


def test_rotation_proof_binds_origin_seq_and_key() -> None:
    assert rotation_proof_doc(A, 3, KEY_A2.kid) == {"new_key": KEY_A2.kid, "origin": A, "seq": 3}
    ring = Keyring()
    body = rotation_body(KEY_A, KEY_A2, A, 3)
    for seq, node in ((4, A), (3, B)):
        with pytest.raises(SignatureError) as info:
            ring.apply_rotation(node, seq, NOW_MS, body)
        assert info.value.reason == "bad-signature"
    assert len(ring.periods(A)) == 1 and len(ring.periods(B)) == 1


def test_key_reuse_is_refused() -> None:
    ring = _rotated()
    with pytest.raises(SignatureError) as info:
        ring.apply_rotation(A, 9, NOW_MS, rotation_body(KEY_A3, KEY_A2, A, 9))
    assert info.value.reason == "key-reused"
    assert len(ring.periods(A)) == 3


def test_copy_is_independent_and_set_periods_commits() -> None:
    ring = Keyring()
    ring.periods(A)
    staged = ring.copy()
    _rotated(staged)
    assert len(ring.periods(A)) == 1 and len(staged.periods(A)) == 3
    ring.set_periods(A, staged.periods(A))
    assert [p.kid for p in ring.periods(A)] == [KEY_A.kid, KEY_A2.kid, KEY_A3.kid]


def test_key_period_validity() -> None:
    period = KeyPeriod("k", KEY_A.public, from_seq=2, until_seq=4, from_ts=10, until_ts=20)
    assert [period.covers_seq(s) for s in (1, 2, 4, 5)] == [False, True, True, False]
    assert [period.valid_at(t) for t in (9, 10, 19, 20)] == [False, True, True, False]
