"""Twinning agreements: propose, countersign, verify, id, terms and their refusals."""

from __future__ import annotations

import copy
from datetime import date
from typing import Any

import pytest

from federation.agreements import (
    agreement_id,
    countersign,
    grant,
    grant_for,
    is_active,
    propose,
    unsigned,
    verify_agreement,
)
from federation.canonical import canonicalize
from federation.encoding import sha256_hex
from federation.entries import build_entry, rotation_body
from federation.errors import AgreementError
from federation.feeds import Head, verify_page
from federation.keyring import Keyring
from federation.keys import NodeKey
from federation.signing import Tag, sign
from tests.federation.builders import KEY_A, KEY_B, KEY_C, NOW_MS, A, B, C

GRANTS = [grant(A, B, 2, 40, ["hot_desk", "meeting_room"]), grant(B, A, 3, 60, ["hot_desk"])]
NONCE = "fixed-nonce-0123456789"


def _proposal(**overrides: Any) -> dict[str, Any]:
    args: dict[str, Any] = {
        "grants": GRANTS,
        "valid_from": "2026-01-01",
        "valid_until": "2027-01-01",
        "created_ms": NOW_MS,
        "nonce": NONCE,
    }
    args.update(overrides)
    return propose(KEY_A, B, **args)


def test_propose_countersign_verify() -> None:
    proposal = _proposal()
    assert proposal["type"] == "spazi.agreement"
    assert proposal["parties"] == [A, B]
    assert set(proposal["sigs"]) == {A}
    signed = countersign(KEY_B, proposal, Keyring())
    assert set(signed["sigs"]) == {A, B}
    assert proposal["sigs"] == {A: signed["sigs"][A]}  # the proposal itself is not modified
    assert verify_agreement(signed) == agreement_id(signed) == agreement_id(proposal)


def test_id_is_hash_of_canonical_unsigned_document() -> None:
    signed = countersign(KEY_B, _proposal(), Keyring())
    assert "sigs" not in unsigned(signed)
    assert agreement_id(signed) == sha256_hex(canonicalize(unsigned(signed)))
    assert agreement_id(_proposal(nonce="another-nonce-0123456")) != agreement_id(signed)


def test_each_signature_is_over_the_unsigned_document_with_the_agreement_tag() -> None:
    signed = countersign(KEY_B, _proposal(), Keyring())
    assert signed["sigs"][A] == sign(KEY_A, Tag.AGREEMENT, unsigned(signed))
    assert signed["sigs"][B] == sign(KEY_B, Tag.AGREEMENT, unsigned(signed))


def test_random_nonce_when_none_given() -> None:
    one = propose(KEY_A, B, GRANTS, "2026-01-01", "2027-01-01", NOW_MS)
    two = propose(KEY_A, B, GRANTS, "2026-01-01", "2027-01-01", NOW_MS)
    assert one["nonce"] != two["nonce"] and len(one["nonce"]) >= 16


@pytest.mark.parametrize(
    ("path", "value"),
    [
        (("grants", 0, "days_per_member_month"), 3),
        (("grants", 1, "days_total_month"), 61),
        (("grants", 0, "resource_kinds"), ["hot_desk"]),
        (("valid_until",), "2028-01-01"),
        (("valid_from",), "2025-12-31"),
        (("created",), NOW_MS + 1),
        (("nonce",), "another-nonce-0123456"),
    ],
)
def test_tampered_terms_are_refused(path: tuple[Any, ...], value: Any) -> None:
    signed = countersign(KEY_B, _proposal(), Keyring())
    tampered = copy.deepcopy(signed)
    target: Any = tampered
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = value
    with pytest.raises(AgreementError) as info:
        verify_agreement(tampered)
    assert info.value.reason == "bad-signature"
    # The counterparty also refuses to countersign a tampered proposal.
    proposal = copy.deepcopy(tampered)
    del proposal["sigs"][B]
    with pytest.raises(AgreementError) as info:
        countersign(KEY_B, proposal, Keyring())
    assert info.value.reason == "bad-signature"


def test_swapped_signatures_are_refused() -> None:
    signed = countersign(KEY_B, _proposal(), Keyring())
    signed["sigs"] = {A: signed["sigs"][B], B: signed["sigs"][A]}
    with pytest.raises(AgreementError) as info:
        verify_agreement(signed)
    assert info.value.reason == "bad-signature"


def test_signature_of_another_kind_is_refused() -> None:
    """An entry-tagged signature over the same bytes is not an agreement signature."""
    signed = countersign(KEY_B, _proposal(), Keyring())
    signed["sigs"][B] = sign(KEY_B, Tag.ENTRY, unsigned(signed))
    with pytest.raises(AgreementError) as info:
        verify_agreement(signed)
    assert info.value.reason == "bad-signature"


def test_wrong_party_cannot_countersign() -> None:
    with pytest.raises(AgreementError) as info:
        countersign(KEY_C, _proposal(), Keyring())
    assert info.value.reason == "not-a-party"


def test_signature_by_a_third_node_is_refused() -> None:
    signed = countersign(KEY_B, _proposal(), Keyring())
    signed["sigs"][B] = sign(KEY_C, Tag.AGREEMENT, unsigned(signed))
    with pytest.raises(AgreementError) as info:
        verify_agreement(signed)
    assert info.value.reason == "bad-signature"
    signed["sigs"] = {A: signed["sigs"][A], C: signed["sigs"][B]}
    with pytest.raises(AgreementError) as info:
        verify_agreement(signed)
    assert info.value.reason == "bad-terms"


def test_proposer_signature_must_verify_before_countersigning() -> None:
    proposal = _proposal()
    proposal["sigs"][A] = sign(KEY_C, Tag.AGREEMENT, unsigned(proposal))
    with pytest.raises(AgreementError) as info:
        countersign(KEY_B, proposal, Keyring())
    assert info.value.reason == "bad-signature"


def test_half_signed_agreement_does_not_verify() -> None:
    with pytest.raises(AgreementError) as info:
        verify_agreement(_proposal())
    assert info.value.reason == "bad-terms"
    assert "one signature per party" in info.value.detail


@pytest.mark.parametrize(
    ("overrides", "detail"),
    [
        ({"valid_until": "2026-01-01"}, "valid_from must be before valid_until"),
        ({"valid_until": "2025-06-01"}, "valid_from must be before valid_until"),
        ({"valid_from": "2026-02-30"}, "not a valid date"),
        ({"grants": [GRANTS[0], GRANTS[0]]}, "one grant in each direction"),
        ({"grants": [GRANTS[0]]}, "one grant in each direction"),
        ({"grants": [grant(A, C, 1, 1, ["office"]), GRANTS[1]]}, "one grant in each direction"),
        ({"grants": [grant(A, B, 0, 40, ["hot_desk"]), GRANTS[1]]}, "must be within 1..31"),
        ({"grants": [grant(A, B, 32, 40, ["hot_desk"]), GRANTS[1]]}, "must be within 1..31"),
        ({"grants": [grant(A, B, 1, 0, ["hot_desk"]), GRANTS[1]]}, "must be within 1..100000"),
        ({"grants": [grant(A, B, 1, 1, ["sofa"]), GRANTS[1]]}, "must be one of"),
        ({"grants": [grant(A, B, 1, 1, ["office"] * 2), GRANTS[1]]}, "duplicate items"),
        ({"nonce": "short"}, "nonce must be 16..64 characters"),
        ({"nonce": "has spaces in the nonce!"}, "nonce has the wrong format"),
        ({"created_ms": -1}, "created must be within"),
    ],
)
def test_bad_terms_are_refused(overrides: dict[str, Any], detail: str) -> None:
    with pytest.raises(AgreementError) as info:
        _proposal(**overrides)
    assert info.value.reason == "bad-terms"
    assert detail in info.value.detail


def test_bad_terms_in_a_received_document() -> None:
    signed = countersign(KEY_B, _proposal(), Keyring())
    for change in (
        {"valid_until": signed["valid_from"]},
        {"parties": [A, A]},
        {"parties": [A, B, C]},
        {"extra": 1},
        {"sigs": [signed["sigs"][A], signed["sigs"][B]]},
    ):
        with pytest.raises(AgreementError) as info:
            verify_agreement({**signed, **change})
        assert info.value.reason == "bad-terms", change
        with pytest.raises(AgreementError) as info:
            countersign(KEY_B, {**_proposal(), **change}, Keyring())
        assert info.value.reason in ("bad-terms", "not-a-party"), change
    with pytest.raises(AgreementError) as info:
        verify_agreement("not an agreement")
    assert info.value.reason == "bad-terms"


def test_countersign_after_a_rotation_of_the_counterparty() -> None:
    """B rotated its key: B's new key countersigns as node B; A verifies with B's rotation."""
    new_b = NodeKey.from_seed(bytes([11]) * 32)
    rot = build_entry(
        KEY_B, B, 1, None, NOW_MS - 10, "key.rotate", rotation_body(KEY_B, new_b, B, 1)
    )
    ring = Keyring()
    verify_page(B, Head(), [rot.to_dict()], ring, NOW_MS)
    # Without node_id the new key would speak as its own did, which is not a party.
    with pytest.raises(AgreementError) as info:
        countersign(new_b, _proposal(), ring)
    assert info.value.reason == "not-a-party"
    signed = countersign(new_b, _proposal(), ring, node_id=B)
    assert set(signed["sigs"]) == {A, B}
    assert verify_agreement(signed, ring) == agreement_id(signed)
    with pytest.raises(AgreementError) as info:
        verify_agreement(signed)  # without B's rotation, only B's genesis key is known
    assert info.value.reason == "bad-signature"


def test_propose_after_own_rotation() -> None:
    new_a = NodeKey.from_seed(bytes([12]) * 32)
    rot = build_entry(
        KEY_A, A, 1, None, NOW_MS - 10, "key.rotate", rotation_body(KEY_A, new_a, A, 1)
    )
    ring = Keyring()
    verify_page(A, Head(), [rot.to_dict()], ring, NOW_MS)
    proposal = propose(new_a, B, GRANTS, "2026-01-01", "2027-01-01", NOW_MS, nonce=NONCE, node_id=A)
    assert proposal["parties"] == [A, B]
    signed = countersign(KEY_B, proposal, ring)
    assert verify_agreement(signed, ring) == agreement_id(signed)


def test_key_retired_before_creation_cannot_sign() -> None:
    """A key whose period ended before the agreement was created is not accepted for it."""
    new_a = NodeKey.from_seed(bytes([12]) * 32)
    rot = build_entry(
        KEY_A, A, 1, None, NOW_MS - 10, "key.rotate", rotation_body(KEY_A, new_a, A, 1)
    )
    ring = Keyring()
    verify_page(A, Head(), [rot.to_dict()], ring, NOW_MS)
    signed = countersign(KEY_B, _proposal(), Keyring())  # A signed with its genesis key
    with pytest.raises(AgreementError) as info:
        verify_agreement(signed, ring)
    assert info.value.reason == "bad-signature"
    early = countersign(KEY_B, _proposal(created_ms=NOW_MS - 11), Keyring())
    assert verify_agreement(early, ring) == agreement_id(early)


def test_grant_for_and_is_active() -> None:
    signed = countersign(KEY_B, _proposal(), Keyring())
    assert grant_for(signed, host=A, guest_home=B) == GRANTS[0]
    assert grant_for(signed, host=B, guest_home=A) == GRANTS[1]
    assert grant_for(signed, host=A, guest_home=C) is None
    assert is_active(signed, date(2026, 1, 1))
    assert is_active(signed, date(2026, 12, 31))
    assert not is_active(signed, date(2027, 1, 1))  # valid_until is exclusive
    assert not is_active(signed, date(2025, 12, 31))
