"""Inbox message types: the set protocol.md §Inbox specifies, each closed (§Versioning rule 1)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from federation.errors import MessageError
from federation.messages import (
    MESSAGE_TYPES,
    MessageType,
    MessageTypes,
    message_type,
    validate_message,
)
from federation.schema import opt, string
from tests.federation.builders import A, B

ROOT = Path(__file__).resolve().parents[2]
HASH = "ab" * 32
AGREEMENT = json.loads((ROOT / "tests/vectors/agreement.json").read_text())
PROJECTS = json.loads((ROOT / "tests/vectors/projects.json").read_text())

# One valid example per type: only what the envelope needs plus the type's members.
EXAMPLES: dict[str, dict[str, Any]] = {
    "peer.request": {"url": "https://a.example", "name": "A", "invite": "s3cret", "keys": []},
    "peer.accept": {},
    "peer.reject": {},
    "heads.changed": {"heads": {A: {"seq": 6, "hash": HASH}}},
    "agreement.propose": {"agreement": AGREEMENT["proposal"]},
    "agreement.accept": {"agreement": AGREEMENT["agreement"]},
    "agreement.reject": {"id": AGREEMENT["id"], "reason": "Closed for renovation."},
    "visit.report": {
        "agreement": AGREEMENT["id"],
        "member": "m-42",
        "day": "2026-03-02",
        "jti": "AAAAAAAAAAAAAAAAAAAAAA",
    },
    "booking.notice": {
        key: value
        for key, value in AGREEMENT["booking_message"].items()
        if key not in ("type", "from", "to")
    },
    "project.answer": {
        key: value
        for key, value in PROJECTS["answer_message"].items()
        if key not in ("type", "from", "to")
    },
    "project.reply": {
        key: value
        for key, value in PROJECTS["reply_message"].items()
        if key not in ("type", "from", "to")
    },
}


def _message(kind: str, **members: Any) -> dict[str, Any]:
    return {"type": kind, "from": A, "to": B, **members}


def _spec_types() -> set[str]:
    """The types in the table of protocol.md §Inbox."""
    text = (ROOT / "protocol.md").read_text(encoding="utf-8")
    section = text.split("\n## Inbox\n", 1)[1].split("\n## ", 1)[0]
    return set(re.findall(r"^\| `([a-z]+\.[a-z]+)` \|", section, flags=re.MULTILINE))


def test_the_spec_and_the_code_list_the_same_types() -> None:
    assert _spec_types() == MESSAGE_TYPES.names() == set(EXAMPLES)


@pytest.mark.parametrize("kind", sorted(EXAMPLES))
def test_valid_examples(kind: str) -> None:
    assert validate_message(_message(kind, **EXAMPLES[kind])).name == kind


@pytest.mark.parametrize("kind", sorted(EXAMPLES))
def test_every_type_refuses_an_unknown_member(kind: str) -> None:
    with pytest.raises(MessageError) as refused:
        validate_message(_message(kind, **EXAMPLES[kind], extra=1))
    assert refused.value.reason == "bad-message"


_MEMBERS_ELSEWHERE = [
    {"url": "https://a.example"},
    {"name": "A"},
    {"invite": "x"},
    {"heads": {}},
    {"keys": []},
]


@pytest.mark.parametrize(
    ("kind", "other"),
    [
        (kind, other)
        for kind in sorted(EXAMPLES)
        for other in _MEMBERS_ELSEWHERE
        if not other.keys() <= MESSAGE_TYPES[kind].members.keys()
    ],
)
def test_members_of_one_type_are_unknown_in_another(kind: str, other: dict[str, Any]) -> None:
    with pytest.raises(MessageError) as refused:
        validate_message(_message(kind, **EXAMPLES[kind], **other))
    assert refused.value.reason == "bad-message"


@pytest.mark.parametrize(
    "head",
    [
        {"seq": True, "hash": HASH},
        {"seq": False, "hash": HASH},
        {"seq": 0, "hash": HASH},
        {"seq": 2**53, "hash": HASH},
        {"seq": "1", "hash": HASH},
        {"seq": 1, "hash": "x"},
        {"seq": 1, "hash": HASH.upper()},
        {"seq": 1, "hash": None},
        {"seq": 1},
        {"hash": HASH},
        {"seq": 1, "hash": HASH, "prev": HASH},
        [1, HASH],
    ],
)
def test_heads_are_checked_one_by_one(head: Any) -> None:
    with pytest.raises(MessageError) as refused:
        validate_message(_message("heads.changed", heads={A: head}))
    assert refused.value.reason == "bad-message"


@pytest.mark.parametrize(
    "heads",
    [
        None,
        [],
        {"not-a-did": {"seq": 1, "hash": HASH}},
        {A: {"seq": 1, "hash": HASH}} | {f"x{i}": {} for i in range(1000)},
    ],
)
def test_heads_is_an_object_of_node_ids(heads: Any) -> None:
    with pytest.raises(MessageError):
        validate_message(_message("heads.changed", heads=heads))


@pytest.mark.parametrize(
    ("kind", "members"),
    [
        ("peer.request", {}),
        ("peer.request", {"url": "ftp://a.example"}),
        ("peer.request", {"url": "https://a.example", "name": "x" * 201}),
        ("peer.request", {"url": "https://a.example", "keys": [1]}),
        ("peer.request", {"url": "https://a.example", "keys": [{}] * 257}),
        ("peer.request", {"url": "https://a.example", "invite": 7}),
        ("agreement.propose", {"agreement": []}),
        ("agreement.accept", {"agreement": AGREEMENT["proposal"]}),  # not signed by both
        ("visit.report", {**EXAMPLES["visit.report"], "day": "2026-02-30"}),
        ("visit.report", {**EXAMPLES["visit.report"], "jti": "short"}),
        ("visit.report", {**EXAMPLES["visit.report"], "agreement": "AB" * 32}),
        ("booking.notice", {**EXAMPLES["booking.notice"], "state": "moved"}),
        ("booking.notice", {**EXAMPLES["booking.notice"], "resource_kind": "sofa"}),
        ("booking.notice", {**EXAMPLES["booking.notice"], "start": "25:00"}),
        ("booking.notice", {**EXAMPLES["booking.notice"], "end": "13:00"}),  # before the start
        ("booking.notice", {**EXAMPLES["booking.notice"], "end": "14:00"}),  # an empty slot
        ("booking.notice", {k: v for k, v in EXAMPLES["booking.notice"].items() if k != "end"}),
        ("booking.notice", {**EXAMPLES["booking.notice"], "resource": "Sala\u0007Arno"}),
        ("booking.notice", {**EXAMPLES["booking.notice"], "booking": ""}),
        ("project.answer", {**EXAMPLES["project.answer"], "home": "did:web:elsewhere"}),
        ("project.answer", {**EXAMPLES["project.answer"], "message": ""}),
        ("project.answer", {**EXAMPLES["project.answer"], "message": "x" * 5001}),
        ("project.answer", {**EXAMPLES["project.answer"], "name": "Ada\u001b[31m"}),
        ("project.answer", {k: v for k, v in EXAMPLES["project.answer"].items() if k != "home"}),
        ("project.reply", {**EXAMPLES["project.reply"], "reply": ""}),
        ("project.reply", {**EXAMPLES["project.reply"], "message": "ok\r\n"}),
    ],
)
def test_member_types_and_formats(kind: str, members: dict[str, Any]) -> None:
    with pytest.raises(MessageError) as refused:
        validate_message(_message(kind, **members))
    assert refused.value.reason == "bad-message"


@pytest.mark.parametrize(
    ("message", "reason"),
    [
        ([], "bad-message"),
        ({"from": A, "to": B}, "unknown-message-type"),
        ({"type": "heads.gone", "from": A, "to": B}, "unknown-message-type"),
        ({"type": ["peer.accept"], "from": A, "to": B}, "unknown-message-type"),
        ({"type": "peer.accept", "from": "a", "to": B}, "bad-message"),
        ({"type": "peer.accept", "from": A}, "bad-message"),
    ],
)
def test_the_envelope(message: Any, reason: str) -> None:
    with pytest.raises(MessageError) as refused:
        validate_message(message)
    assert refused.value.reason == reason


def test_message_type_checks_the_envelope_only() -> None:
    # The inbox refuses a type it does not handle before looking at the type's members.
    assert message_type(_message("visit.report")).name == "visit.report"
    with pytest.raises(MessageError):
        validate_message(_message("visit.report"))


def test_delivery_policies() -> None:
    assert MESSAGE_TYPES["heads.changed"].coalesce
    assert MESSAGE_TYPES["heads.changed"].needs_peer == "active"
    assert not MESSAGE_TYPES["heads.changed"].keep_trying
    for kind in ("peer.accept", "peer.reject"):
        assert MESSAGE_TYPES[kind].keep_trying and MESSAGE_TYPES[kind].needs_peer == "known"
    assert MESSAGE_TYPES["peer.request"].needs_peer == "none"
    assert [t.name for t in MESSAGE_TYPES if t.coalesce] == ["heads.changed"]


def test_the_registry_takes_each_name_once_and_can_be_frozen() -> None:
    types = MessageTypes([MessageType("x.one")])
    with pytest.raises(ValueError, match="registered twice"):
        types.register(MessageType("x.one", {"a": opt(string(3))}))
    types.freeze()
    with pytest.raises(RuntimeError, match="frozen"):
        types.register(MessageType("x.two"))
    assert MESSAGE_TYPES.frozen
    with pytest.raises(RuntimeError):
        MESSAGE_TYPES.register(MessageType("x.three"))


def test_a_type_cannot_redefine_the_envelope() -> None:
    with pytest.raises(ValueError, match="envelope"):
        MessageType("x.one", {"from": opt(string(3))})
