"""Twinning agreements: one document co-signed by both spaces (protocol.md §Agreements).

Each party grants the other's members guest days: per member per month, in total per month, for
some resource kinds, between ``valid_from`` and ``valid_until`` (dates, ``valid_until`` exclusive).
The agreement id is the SHA-256 of the canonical document without signatures, so both parties
name it the same before either has signed.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from datetime import date
from typing import Any

from federation.canonical import canonicalize
from federation.encoding import sha256_hex
from federation.errors import AgreementError, BodyError, ProtocolError, SignatureError
from federation.keyring import Keyring
from federation.keys import NodeKey
from federation.schema import Obj, array, integer, iso_date, node_id, one_of, req, string
from federation.signing import Tag, sign, verify
from federation.vocabulary import RESOURCE_KINDS

AGREEMENT_TYPE = "spazi.agreement"

GRANT = Obj(
    {
        "host": req(node_id),
        "guest_home": req(node_id),
        "days_per_member_month": req(integer(1, 31)),
        "days_total_month": req(integer(1, 100_000)),
        "resource_kinds": req(array(one_of(*RESOURCE_KINDS), 4, unique=True)),
    }
)

_AGREEMENT = Obj(
    {
        "type": req(one_of(AGREEMENT_TYPE)),
        "parties": req(array(node_id, 2, unique=True)),
        "grants": req(array(GRANT, 2)),
        "valid_from": req(iso_date),
        "valid_until": req(iso_date),
        "nonce": req(string(64, 16, r"[A-Za-z0-9_\-]+")),
        "created": req(integer(0, 2**53 - 1)),
        "sigs": req(lambda v, p: None),  # checked below, against the parties
    }
)


def check_agreement_shape(doc: Any, path: str = "agreement") -> None:
    """Raise :class:`BodyError` unless ``doc`` is a well-formed, fully signed agreement document."""
    _AGREEMENT(doc, path)
    _check_terms(doc, path)
    sigs = doc["sigs"]
    if not isinstance(sigs, Mapping) or set(sigs) != set(doc["parties"]):
        raise BodyError(detail=f"{path}.sigs must hold one signature per party")
    for party, sig in sigs.items():
        string(86, 86)(sig, f"{path}.sigs[{party}]")


def _check_terms(doc: Mapping[str, Any], path: str) -> None:
    parties = doc["parties"]
    if len(parties) != 2:
        raise BodyError(detail=f"{path}.parties must name two different nodes")
    directions = {(g["host"], g["guest_home"]) for g in doc["grants"]}
    a, b = parties
    if directions != {(a, b), (b, a)} or len(doc["grants"]) != 2:
        raise BodyError(detail=f"{path}.grants must hold one grant in each direction")
    if date.fromisoformat(doc["valid_from"]) >= date.fromisoformat(doc["valid_until"]):
        raise BodyError(detail=f"{path}.valid_from must be before valid_until")


def unsigned(doc: Mapping[str, Any]) -> dict[str, Any]:
    """The agreement without its signatures: what each party signs and what the id hashes."""
    return {k: v for k, v in doc.items() if k != "sigs"}


def agreement_id(doc: Mapping[str, Any]) -> str:
    """The agreement's id: lowercase hex SHA-256 of its canonical unsigned form."""
    return sha256_hex(canonicalize(unsigned(doc)))


def propose(
    key: NodeKey,
    counterparty: str,
    grants: list[dict[str, Any]],
    valid_from: str,
    valid_until: str,
    created_ms: int,
    nonce: str | None = None,
    node_id: str | None = None,
) -> dict[str, Any]:
    """Build an agreement between our node and ``counterparty`` and sign it as proposer.

    ``node_id`` is our node's id; it defaults to ``key.did``, which is only right until the
    node's first key rotation (after it, the current key's did is not the node id).
    """
    me = node_id or key.did
    doc: dict[str, Any] = {
        "type": AGREEMENT_TYPE,
        "parties": [me, counterparty],
        "grants": grants,
        "valid_from": valid_from,
        "valid_until": valid_until,
        "nonce": nonce or secrets.token_urlsafe(18),
        "created": created_ms,
    }
    # Same refusal as countersign and verify_agreement give for bad terms.
    try:
        _AGREEMENT({**doc, "sigs": {}}, "agreement")
        _check_terms(doc, "agreement")
    except BodyError as exc:
        raise AgreementError("bad-terms", exc.detail) from exc
    doc["sigs"] = {me: sign(key, Tag.AGREEMENT, doc)}
    return doc


def grant(
    host: str, guest_home: str, per_member: int, total: int, kinds: list[str]
) -> dict[str, Any]:
    """One direction of an agreement's terms."""
    return {
        "host": host,
        "guest_home": guest_home,
        "days_per_member_month": per_member,
        "days_total_month": total,
        "resource_kinds": kinds,
    }


def _verify_party(doc: Mapping[str, Any], party: str, keyring: Keyring) -> None:
    sig = doc["sigs"].get(party)
    if sig is None:
        raise AgreementError("missing-signature", f"{party} has not signed")
    body = unsigned(doc)
    # Any key of the party still valid when the agreement was created may sign it: the
    # counter-signature can come after a rotation.
    for period in keyring.periods(party):
        if period.until_ts is not None and period.until_ts <= doc["created"]:
            continue
        try:
            verify(period.public, Tag.AGREEMENT, body, sig)
            return
        except SignatureError:
            continue
    raise AgreementError("bad-signature", f"the signature of {party} does not verify")


def check_proposal(doc: Any, keyring: Keyring, me: str) -> None:
    """Raise :class:`AgreementError` unless ``doc`` is a well-formed proposal to ``me`` with
    terms inside the rules and a valid signature of the other party."""
    parties = doc.get("parties") if isinstance(doc, Mapping) else None
    if not isinstance(parties, list) or me not in parties:
        raise AgreementError("not-a-party", "this node is not a party to the agreement")
    try:
        _AGREEMENT(doc, "agreement")
        _check_terms(doc, "agreement")
    except BodyError as exc:
        raise AgreementError("bad-terms", exc.detail) from exc
    # Only after the shape check: parties are then two different ids and sigs is an object.
    if not isinstance(doc["sigs"], Mapping):
        raise AgreementError("bad-terms", "agreement.sigs must be an object")
    _verify_party(doc, next(p for p in parties if p != me), keyring)


def countersign(
    key: NodeKey, doc: Mapping[str, Any], keyring: Keyring, node_id: str | None = None
) -> dict[str, Any]:
    """Check the proposal (:func:`check_proposal`) and add our signature.

    ``node_id`` is our node's id (default ``key.did``; see :func:`propose`).
    """
    me = node_id or key.did
    check_proposal(doc, keyring, me)
    signed = dict(doc)
    signed["sigs"] = {**doc["sigs"], me: sign(key, Tag.AGREEMENT, unsigned(doc))}
    return signed


def verify_agreement(doc: Any, keyring: Keyring | None = None) -> str:
    """Verify shape, terms and both signatures; return the agreement id."""
    ring = keyring if keyring is not None else Keyring()
    try:
        check_agreement_shape(doc)
    except BodyError as exc:
        raise AgreementError("bad-terms", exc.detail) from exc
    for party in doc["parties"]:
        _verify_party(doc, party, ring)
    return agreement_id(doc)


def is_valid(doc: Any, keyring: Keyring | None = None) -> bool:
    """True when :func:`verify_agreement` accepts ``doc``: what published state asks of an
    agreement at read time (:func:`federation.state.agreement_standing`)."""
    try:
        verify_agreement(doc, keyring)
    except ProtocolError:
        return False
    return True


def grant_for(doc: Mapping[str, Any], host: str, guest_home: str) -> dict[str, Any] | None:
    """The grant in which ``host`` receives members of ``guest_home``, if any."""
    for item in doc["grants"]:
        if item["host"] == host and item["guest_home"] == guest_home:
            return dict(item)
    return None


def is_active(doc: Mapping[str, Any], day: date) -> bool:
    """True when ``day`` falls within the agreement's validity (``valid_until`` exclusive)."""
    return date.fromisoformat(doc["valid_from"]) <= day < date.fromisoformat(doc["valid_until"])
