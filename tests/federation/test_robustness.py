"""Arbitrary input never crashes the verifiers: each refuses with its own error, or accepts.

A refusal must always carry a reason (protocol.md §HTTP endpoints, Errors); a TypeError or
KeyError escaping from a validator would turn bad input from a peer into a server error.
"""

from __future__ import annotations

import contextlib
import copy
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from federation.agreements import countersign, verify_agreement
from federation.errors import AgreementError, BodyError, EntryError, ForkProofError, ProtocolError
from federation.feeds import Head, make_fork_proof, verify_fork_proof, verify_page
from federation.keyring import Keyring
from federation.version import ENTRY_TYPES, validate_body
from tests.federation.builders import (
    KEY_A,
    KEY_B,
    NOW_MS,
    A,
    agreement_doc,
    build_feed,
    example_bodies,
)
from tests.federation.test_canonical import DOCUMENTS

EXAMPLES = example_bodies()
FEED = build_feed(KEY_A, 3)


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every path to a member or item inside ``value``."""
    found = []
    if isinstance(value, dict):
        for key, item in value.items():
            found.append((*prefix, key))
            found += _paths(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found.append((*prefix, index))
            found += _paths(item, (*prefix, index))
    return found


def _replace(doc: Any, path: tuple[Any, ...], new: Any) -> Any:
    doc = copy.deepcopy(doc)
    target = doc
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = new
    return doc


@st.composite
def mutated(draw: st.DrawFn, original: Any) -> Any:
    """``original`` with one member or item replaced by an arbitrary JSON value."""
    paths = _paths(original)
    if not paths:
        return draw(DOCUMENTS)
    return _replace(original, draw(st.sampled_from(paths)), draw(DOCUMENTS))


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(sorted(ENTRY_TYPES)), st.data())
def test_validate_body_only_raises_body_errors(entry_type: str, data: st.DataObject) -> None:
    body = data.draw(st.one_of(DOCUMENTS, mutated(EXAMPLES[entry_type])))
    try:
        validate_body(entry_type, body)
    except BodyError as exc:
        assert exc.reason == "bad-body"


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_verify_page_only_raises_protocol_errors(data: st.DataObject) -> None:
    docs = [e.to_dict() for e in FEED]
    index = data.draw(st.integers(0, len(docs) - 1))
    docs[index] = data.draw(st.one_of(DOCUMENTS, mutated(docs[index])))
    ring = Keyring()
    try:
        verify_page(A, Head(), docs, ring, NOW_MS)
    except EntryError:
        pass
    except ProtocolError as exc:  # a float or a lone surrogate in an unchecked document
        assert exc.reason == "non-canonical-json"
    assert len(ring.periods(A)) == 1


@settings(max_examples=200, deadline=None)
@given(st.data())
def test_verify_fork_proof_only_raises_fork_proof_errors(data: st.DataObject) -> None:
    proof = make_fork_proof(FEED[1], build_feed(KEY_B, 2, origin=A)[1])
    tampered = data.draw(st.one_of(DOCUMENTS, mutated(proof)))
    try:
        verify_fork_proof(tampered)
    except ForkProofError as exc:
        assert exc.reason == "bad-fork-proof"


AGREEMENT = agreement_doc()


@settings(max_examples=200, deadline=None)
@given(st.data())
def test_agreement_checks_only_raise_agreement_errors(data: st.DataObject) -> None:
    doc = data.draw(st.one_of(DOCUMENTS, mutated(AGREEMENT)))
    with contextlib.suppress(AgreementError):
        verify_agreement(doc)
    proposal = doc
    if isinstance(doc, dict) and isinstance(doc.get("sigs"), dict):
        proposal = {**doc, "sigs": {k: v for k, v in doc["sigs"].items() if k == A}}
    with contextlib.suppress(AgreementError):
        countersign(KEY_B, proposal, Keyring())
