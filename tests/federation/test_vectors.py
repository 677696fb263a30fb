"""Known-answer vectors: the code must reproduce ``tests/vectors/*.json`` byte for byte.

The files are the source of truth. Each test recomputes values from the inputs stored in the
files (seeds, documents, times) with the code and compares; a change in the code that alters
bytes on the wire fails here. ``make_vectors.py`` regenerates the files on purpose only.
"""

from __future__ import annotations

import importlib.util
import json
from functools import cache
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import rfc8785
from cryptography.hazmat.primitives import serialization

from federation.agreements import agreement_id, unsigned, verify_agreement
from federation.canonical import canonicalize, parse_strict
from federation.encoding import b64u_decode, sha256_hex
from federation.entries import parse_entry
from federation.errors import CanonicalError, EntryError, SignatureError
from federation.feeds import Head, verify_fork_proof, verify_page
from federation.keyring import Keyring, rotation_proof_doc
from federation.keys import NodeKey, fingerprint, public_key_from_did, public_key_from_kid
from federation.signing import Tag, sign, signing_input, verify

VECTORS = Path(__file__).resolve().parent.parent / "vectors"


@cache
def load(name: str) -> Any:
    return json.loads((VECTORS / name).read_text(encoding="utf-8"))


@cache
def generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("make_vectors", VECTORS / "make_vectors.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("name", generator().FILES)
def test_generator_reproduces_the_file_exactly(name: str) -> None:
    module = generator()
    content = module.build_all()[name]
    assert content == load(name)
    assert module.render(content) == (VECTORS / name).read_text(encoding="utf-8")


def _public_hex(public: Any) -> str:
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return str(raw.hex())


def _last_entry_ts() -> int:
    return int(load("entries.json")["entries"][-1]["entry"]["ts"])


# -- canonical.json -------------------------------------------------------------------------------


@pytest.mark.parametrize("example", load("canonical.json")["examples"], ids=lambda e: e["about"])
def test_canonical_examples(example: dict[str, Any]) -> None:
    doc = parse_strict(example["input"].encode("utf-8"))
    canonical = canonicalize(doc)
    assert canonical == example["canonical"].encode("utf-8")
    assert canonical.hex() == example["canonical_hex"]
    assert sha256_hex(canonical) == example["sha256"]
    assert canonical == rfc8785.dumps(doc)


@pytest.mark.parametrize("example", load("canonical.json")["refused"], ids=lambda e: e["about"])
def test_canonical_refusals(example: dict[str, Any]) -> None:
    with pytest.raises(CanonicalError) as info:
        parse_strict(example["input"].encode("utf-8"))
    assert info.value.reason == "non-canonical-json"


# -- keys.json ------------------------------------------------------------------------------------


@pytest.mark.parametrize("item", load("keys.json")["keys"], ids=lambda k: k["name"])
def test_keys(item: dict[str, Any]) -> None:
    key = NodeKey.from_seed(bytes.fromhex(item["seed_hex"]))
    assert _public_hex(key.public) == item["public_key_hex"]
    assert item["multicodec_hex"] == "ed01" + item["public_key_hex"]
    assert key.kid == item["kid"]
    assert key.did == item["did"] == "did:key:" + item["kid"]
    assert fingerprint(key.did) == item["fingerprint"]
    assert _public_hex(public_key_from_did(item["did"])) == item["public_key_hex"]
    assert _public_hex(public_key_from_kid(item["kid"])) == item["public_key_hex"]


# -- signing.json ---------------------------------------------------------------------------------


@pytest.mark.parametrize("example", load("signing.json")["examples"], ids=lambda e: e["tag_name"])
def test_signing(example: dict[str, Any]) -> None:
    tag = Tag(example["tag"].encode("ascii"))
    assert tag.name == example["tag_name"]
    key = NodeKey.from_seed(bytes.fromhex(example["seed_hex"]))
    message = signing_input(tag, example["document"])
    assert message == example["signing_input"].encode("utf-8")
    assert message.hex() == example["signing_input_hex"]
    assert sign(key, tag, example["document"]) == example["signature"]
    verify(key.public, tag, example["document"], example["signature"])
    for other in Tag:
        if other is not tag:
            with pytest.raises(SignatureError):
                verify(key.public, other, example["document"], example["signature"])


def test_signing_covers_every_tag_once() -> None:
    names = [e["tag_name"] for e in load("signing.json")["examples"]]
    assert sorted(names) == sorted({"ENTRY", "AGREEMENT", "DESCRIPTOR", "KEY_ROTATE"})


# -- entries.json ---------------------------------------------------------------------------------


def test_entries_verify_as_a_feed_and_rebuild_the_key_periods() -> None:
    vectors = load("entries.json")
    docs = [item["entry"] for item in vectors["entries"]]
    ring = Keyring()
    verified = verify_page(vectors["origin"], Head(), docs, ring, _last_entry_ts())
    assert [e.hash for e in verified] == [item["hash"] for item in vectors["entries"]]
    assert [p.describe() for p in ring.periods(vectors["origin"])] == vectors["key_periods"]
    # The checked path (bytes parsed strictly) gives the same.
    page = parse_strict(b"[" + b",".join(i["raw"].encode() for i in vectors["entries"]) + b"]")
    again = verify_page(vectors["origin"], Head(), page, Keyring(), _last_entry_ts(), checked=True)
    assert again == verified


@pytest.mark.parametrize("item", load("entries.json")["entries"], ids=lambda i: str(i["seq"]))
def test_each_entry(item: dict[str, Any]) -> None:
    doc = item["entry"]
    unsigned_doc = {k: v for k, v in doc.items() if k != "sig"}
    message = signing_input(Tag.ENTRY, unsigned_doc)
    assert message == item["signing_input"].encode("utf-8")
    assert doc["sig"] == item["sig"]
    public_key_from_kid(item["signed_by"]).verify(b64u_decode(item["sig"]), message)
    assert canonicalize(doc) == item["raw"].encode("utf-8")
    assert sha256_hex(item["raw"].encode("utf-8")) == item["hash"]
    assert (doc["seq"], doc["type"]) == (item["seq"], item["type"])


def test_entries_are_reproduced_from_their_seeds() -> None:
    vectors = load("entries.json")
    keys = {
        k.kid: k
        for k in (
            NodeKey.from_seed(bytes.fromhex(vectors["seed_hex"])),
            NodeKey.from_seed(bytes.fromhex(vectors["rotated_seed_hex"])),
        )
    }
    for item in vectors["entries"]:
        doc = item["entry"]
        key = keys[item["signed_by"]]
        unsigned_doc = {k: v for k, v in doc.items() if k != "sig"}
        assert sign(key, Tag.ENTRY, unsigned_doc) == item["sig"]  # Ed25519 is deterministic


@pytest.mark.parametrize("item", load("entries.json")["refused"], ids=lambda i: i["about"])
def test_refused_entries(item: dict[str, Any]) -> None:
    doc = item["entry"]
    public = public_key_from_did(doc["origin"])
    message = signing_input(Tag.ENTRY, {k: v for k, v in doc.items() if k != "sig"})
    # The small-order signature matches any message under a check without the rule (which
    # cryptography's Ed25519 is): the refusal comes from the rule, not from a wrong message.
    public.verify(b64u_decode(doc["sig"]), message + b"anything else")
    with pytest.raises(EntryError) as refused:
        parse_entry(doc, Keyring(), doc["ts"])
    assert refused.value.reason == item["reason"]
    with pytest.raises(EntryError):
        verify_page(doc["origin"], Head(), [doc], Keyring(), doc["ts"])


def test_rotation_proof() -> None:
    vectors = load("entries.json")
    proof = vectors["rotation_proof"]
    rotation = next(i["entry"] for i in vectors["entries"] if i["type"] == "key.rotate")
    new_key = rotation["body"]["new_key"]
    assert proof["document"] == rotation_proof_doc(vectors["origin"], rotation["seq"], new_key)
    assert signing_input(Tag.KEY_ROTATE, proof["document"]) == proof["signing_input"].encode()
    assert rotation["body"]["new_key_sig"] == proof["new_key_sig"]
    verify(public_key_from_kid(new_key), Tag.KEY_ROTATE, proof["document"], proof["new_key_sig"])


def test_http_examples_are_consistent() -> None:
    vectors = load("entries.json")
    last = vectors["entries"][-1]
    head = {"seq": last["seq"], "hash": last["hash"]}
    assert vectors["heads_response"] == {"heads": {vectors["origin"]: head}}
    page = vectors["page_response"]
    assert page["origin"] == vectors["origin"] and page["head"] == head
    verify_page(page["origin"], Head(), page["entries"], Keyring(), _last_entry_ts())


# -- fork.json ------------------------------------------------------------------------------------


def test_fork_proof() -> None:
    vectors = load("fork.json")
    a, b = verify_fork_proof(vectors["proof"])
    assert [a.hash, b.hash] == vectors["hashes"]
    assert a.origin == b.origin == vectors["origin"] == vectors["proof"]["origin"]
    first = parse_entry(vectors["first_entry"], Keyring())
    assert a.prev == b.prev == first.hash
    key = NodeKey.from_seed(bytes.fromhex(vectors["seed_hex"]))
    assert key.did == vectors["origin"]


# -- agreement.json -------------------------------------------------------------------------------


def test_agreement() -> None:
    vectors = load("agreement.json")
    doc = vectors["agreement"]
    assert verify_agreement(doc) == vectors["id"] == agreement_id(doc)
    assert unsigned(doc) == vectors["unsigned"]
    assert canonicalize(vectors["unsigned"]) == vectors["unsigned_canonical"].encode("utf-8")
    assert sha256_hex(vectors["unsigned_canonical"].encode("utf-8")) == vectors["id"]
    message = signing_input(Tag.AGREEMENT, vectors["unsigned"])
    assert message == vectors["signing_input"].encode("utf-8")
    proposer = NodeKey.from_seed(bytes.fromhex(vectors["proposer_seed_hex"]))
    counterparty = NodeKey.from_seed(bytes.fromhex(vectors["counterparty_seed_hex"]))
    assert doc["parties"] == [proposer.did, counterparty.did]
    for key in (proposer, counterparty):
        assert sign(key, Tag.AGREEMENT, vectors["unsigned"]) == doc["sigs"][key.did]
    assert vectors["proposal"] == {**doc, "sigs": {proposer.did: doc["sigs"][proposer.did]}}


def test_cohost_vectors_verify_and_fold_to_a_withdrawal() -> None:
    from federation.state import confirmed_cohosts
    from federation.version import V1

    vectors, feed_a = load("cohost.json"), load("entries.json")
    docs = [item["entry"] for item in vectors["entries"]]
    for item, doc in zip(vectors["entries"], docs, strict=True):
        message = signing_input(Tag.ENTRY, {k: v for k, v in doc.items() if k != "sig"})
        assert message == item["signing_input"].encode("utf-8")
        public_key_from_kid(item["signed_by"]).verify(b64u_decode(item["sig"]), message)
        assert canonicalize(doc) == item["raw"].encode("utf-8")
        assert sha256_hex(item["raw"].encode("utf-8")) == item["hash"]
    verified = verify_page(vectors["origin"], Head(), docs, Keyring(), docs[-1]["ts"])
    assert [e.hash for e in verified] == [item["hash"] for item in vectors["entries"]]
    event = vectors["event"]
    # A's profile, desk and the event naming B (entries.json), before A cancels it.
    a_docs = [item["entry"] for item in feed_a["entries"][:3]]
    a_entries = verify_page(feed_a["origin"], Head(), a_docs, Keyring(), a_docs[-1]["ts"])
    confirmed = V1.fold([*a_entries, *verified[:2]])
    assert confirmed_cohosts(confirmed, event["origin"], event["event"]) == [vectors["origin"]]
    withdrawn = V1.fold([*a_entries, *verified])
    assert confirmed_cohosts(withdrawn, event["origin"], event["event"]) == []
    record = withdrawn.of(vectors["origin"]).cohostings[(event["origin"], event["event"])]
    assert record.gone and record.reason == "La sala è occupata."


def test_profile_vectors_verify_with_and_without_their_detached_body() -> None:
    from federation.detached import detached_hash, encode_detached, verify_detached
    from federation.version import V1

    vectors = load("profile.json")
    raw = vectors["detached_raw"].encode("utf-8")
    assert encode_detached("profile.put", vectors["detached_body"]) == raw
    assert detached_hash(raw) == vectors["body_hash"]
    docs = [item["entry"] for item in vectors["entries"]]
    for item, doc in zip(vectors["entries"], docs, strict=True):
        assert canonicalize(doc) == item["raw"].encode("utf-8")
        assert sha256_hex(item["raw"].encode("utf-8")) == item["hash"]
    entries = verify_page(vectors["origin"], Head(), docs, Keyring(), docs[-1]["ts"])
    assert entries[1].body["body_hash"] == vectors["body_hash"]
    # The page before the withdrawal carries the body; it matches the signed hash.
    before = vectors["page_before_withdrawal"]
    assert verify_detached(entries[1:2], before["detached"]) == {2: raw}
    # After it, the page carries no body and the same chain verifies.
    after = vectors["page_after_withdrawal"]
    assert "detached" not in after and after["entries"] == docs[1:]
    assert vectors["one_entry_after_withdrawal"] == {"detached": None, "entry": docs[1]}
    assert vectors["one_entry_before_withdrawal"]["detached"] == vectors["detached_body"]
    state = V1.fold(entries).of(vectors["origin"])
    assert state.people["p-giulia"].gone and state.people["p-giulia"].seq == 3


def test_project_vectors_verify_and_fold_to_a_closed_call() -> None:
    from federation.messages import validate_message
    from federation.version import V1

    vectors = load("projects.json")
    docs = [item["entry"] for item in vectors["entries"]]
    for item, doc in zip(vectors["entries"], docs, strict=True):
        message = signing_input(Tag.ENTRY, {k: v for k, v in doc.items() if k != "sig"})
        assert message == item["signing_input"].encode("utf-8")
        public_key_from_kid(item["signed_by"]).verify(b64u_decode(item["sig"]), message)
        assert canonicalize(doc) == item["raw"].encode("utf-8")
    verified = verify_page(vectors["origin"], Head(), docs, Keyring(), docs[-1]["ts"])
    call = docs[1]["body"]["id"]
    assert not V1.fold(verified[:2]).of(vectors["origin"]).projects[call].gone
    closed = V1.fold(verified).of(vectors["origin"]).projects[call]
    assert closed.gone and closed.reason == "Trovati."
    for name in ("answer_message", "reply_message"):
        assert validate_message(vectors[name]).name == vectors[name]["type"]
    assert vectors["answer_message"]["home"] == vectors["answer_message"]["from"]
