"""Entry bodies: one valid example per type and the refusals of each schema."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest

from federation.bodies import RESOURCE_KINDS
from federation.errors import BodyError
from federation.version import ENTRY_TYPES, validate_body
from tests.federation.builders import KEY_A, KEY_A2, A, B, example_bodies

EXAMPLES = example_bodies()


def test_every_type_has_an_example() -> None:
    assert set(EXAMPLES) == ENTRY_TYPES
    assert set(RESOURCE_KINDS) == {"hot_desk", "fixed_desk", "meeting_room", "office"}


@pytest.mark.parametrize("entry_type", sorted(EXAMPLES))
def test_valid_examples(entry_type: str) -> None:
    validate_body(entry_type, EXAMPLES[entry_type])


# Smallest valid bodies: only the required fields.
MINIMAL = {
    "space.profile": {"name": "X", "timezone": "UTC"},
    "resource.put": {"id": "r", "kind": "office", "name": "Office", "capacity": 4},
    "resource.remove": {"id": "r"},
    "event.put": {
        "id": "e", "title": "T", "start": "2026-01-01T10:00", "end": "2026-01-01T10:01",
        "timezone": "UTC",
    },
    "event.cancel": {"id": "e"},
    "cohost.withdraw": {"origin": A, "event": "e"},
    "project.put": {"id": "p", "title": "T", "deadline": "2026-01-01"},
    "project.close": {"id": "p"},
    "agreement.terminate": {"id": "0" * 64},
    "pass.revoke": {"jti_hashes": []},
    "peer.announce": {"peers": []},
}  # fmt: skip


@pytest.mark.parametrize("entry_type", sorted(MINIMAL))
def test_minimal_bodies(entry_type: str) -> None:
    validate_body(entry_type, MINIMAL[entry_type])


@pytest.mark.parametrize("entry_type", sorted(EXAMPLES))
def test_unknown_field_refused_in_every_type(entry_type: str) -> None:
    with pytest.raises(BodyError) as info:
        validate_body(entry_type, {**EXAMPLES[entry_type], "x-extension": 1})
    assert info.value.reason == "bad-body"
    assert "unknown field(s) ['x-extension']" in info.value.detail


@pytest.mark.parametrize("entry_type", sorted(EXAMPLES))
def test_body_must_be_an_object(entry_type: str) -> None:
    with pytest.raises(BodyError) as info:
        validate_body(entry_type, [EXAMPLES[entry_type]])
    assert info.value.reason == "bad-body"
    assert "must be an object" in info.value.detail


REQUIRED = {
    "space.profile": ["name", "timezone"],
    "resource.put": ["id", "kind", "name", "capacity"],
    "resource.remove": ["id"],
    "event.put": ["id", "title", "start", "end", "timezone"],
    "event.cancel": ["id"],
    "cohost.confirm": ["origin", "event"],
    "cohost.withdraw": ["origin", "event"],
    "project.put": ["id", "title", "deadline"],
    "project.close": ["id"],
    "agreement.publish": ["agreement"],
    "agreement.terminate": ["id"],
    "pass.revoke": ["jti_hashes"],
    "key.rotate": ["new_key", "new_key_sig"],
    "peer.announce": ["peers"],
}


@pytest.mark.parametrize(
    ("entry_type", "name"), [(t, n) for t, names in REQUIRED.items() for n in names]
)
def test_missing_required_field(entry_type: str, name: str) -> None:
    body = {k: v for k, v in EXAMPLES[entry_type].items() if k != name}
    with pytest.raises(BodyError) as info:
        validate_body(entry_type, body)
    assert info.value.reason == "bad-body"
    assert info.value.detail == f"{name} is required"


def test_unknown_entry_type() -> None:
    with pytest.raises(BodyError) as info:
        validate_body("space.delete", {})
    assert info.value.reason == "unknown-entry-type"


Change = Callable[[dict[str, Any]], None]


def _set(path: str, value: Any) -> Change:
    """Set a dotted path (list indexes as numbers) in the body."""

    def change(body: dict[str, Any]) -> None:
        steps: list[Any] = [int(s) if s.isdigit() else s for s in path.split(".")]
        target: Any = body
        for step in steps[:-1]:
            target = target[step]
        target[steps[-1]] = value

    return change


def _drop(name: str) -> Change:
    def change(body: dict[str, Any]) -> None:
        del body[name]

    return change


REFUSALS: list[tuple[str, Change, str]] = [
    # space.profile
    ("space.profile", _set("name", ""), "name must be 1..200 characters"),
    ("space.profile", _set("name", "x" * 201), "name must be 1..200 characters"),
    ("space.profile", _set("name", 7), "name must be a string"),
    ("space.profile", _set("timezone", "Mars/Olympus"), "not a canonical IANA time zone"),
    ("space.profile", _set("timezone", "../../etc/passwd"), "canonical IANA time zone"),
    ("space.profile", _set("country", "it"), "country has the wrong format"),
    ("space.profile", _set("latitude_e6", 90_000_001), "latitude_e6 must be within"),
    ("space.profile", _set("longitude_e6", -180_000_001), "longitude_e6 must be within"),
    ("space.profile", _set("latitude_e6", True), "latitude_e6 must be an integer"),
    ("space.profile", _set("description", "x" * 5001), "description must be 0..5000"),
    ("space.profile", _set("opening_hours.0.days", ["Funday"]), "days[0] must be one of"),
    ("space.profile", _set("opening_hours.0.days", ["Monday", "Monday"]), "duplicate items"),
    ("space.profile", _set("opening_hours.0.opens", "25:00"), "opens has the wrong format"),
    ("space.profile", _set("opening_hours.0.closes", "08.00"), "closes has the wrong format"),
    # Digits of other scripts (U+0663 ARABIC-INDIC DIGIT THREE) are not ASCII digits.
    ("space.profile", _set("opening_hours.0.opens", "0\u0663:00"), "opens has the wrong format"),
    ("space.profile", _set("opening_hours.0.valid_from", "2026-01-0\u0663"), "wrong format"),
    ("space.profile", _set("opening_hours.0.valid_from", "2026/01/01"), "wrong format"),
    ("space.profile", _set("opening_hours.0.valid_from", "2026-02-30"), "not a valid date"),
    ("space.profile", _set("opening_hours.0.valid_through", "2026-13-01"), "not a valid date"),
    ("space.profile", _set("opening_hours.0.lunch", "12:00"), "unknown field(s) ['lunch']"),
    ("space.profile", _set("amenities", ["wifi"] * 2), "amenities has duplicate items"),
    ("space.profile", _set("amenities", [f"a{i}" for i in range(51)]), "more than 50 items"),
    ("space.profile", _set("contact.email", "not-an-email"), "email has the wrong format"),
    ("space.profile", _set("contact.url", "ftp://x.example"), "url has the wrong format"),
    ("space.profile", _set("contact.fax", "123"), "unknown field(s) ['fax']"),
    ("space.profile", _set("links.0.url", "javascript:alert(1)"), "url has the wrong format"),
    ("space.profile", _set("links.0", {"url": "https://x.example"}), "title is required"),
    # resource.put
    ("resource.put", _set("kind", "sofa"), "kind must be one of"),
    ("resource.put", _set("kind", ["office"]), "kind must be one of"),  # unhashable value
    ("agreement.publish", _set("agreement.grants.0.resource_kinds", [{}]), "must be one of"),
    ("resource.put", _set("id", "-desk"), "id has the wrong format"),
    ("resource.put", _set("id", "d" * 65), "id must be 1..64 characters"),
    ("resource.put", _set("capacity", 0), "capacity must be within 1..10000"),
    ("resource.put", _set("capacity", 10_001), "capacity must be within 1..10000"),
    ("resource.put", _set("price_day_minor", -1), "price_day_minor must be within"),
    ("resource.put", _set("price_hour_minor", 10**9 + 1), "price_hour_minor must be within"),
    ("resource.put", _set("currency", "eur"), "currency has the wrong format"),
    ("resource.put", _drop("currency"), "a priced resource needs a currency"),
    # resource.remove
    ("resource.remove", _set("id", ""), "id must be 1..64 characters"),
    # event.put
    ("event.put", _set("end", "2026-03-04T09:00"), "event end must be after its start"),
    ("event.put", _set("end", "2026-03-04T09:00:00"), "event end must be after its start"),
    ("event.put", _set("end", "2026-03-04T08:00"), "event end must be after its start"),
    ("event.put", _set("start", "2026-02-30T09:00"), "start is not a valid date-time"),
    # Year 1 east of UTC has no UTC instant a node could store.
    ("event.put", _set("start", "0001-01-01T00:00"), "start must be in the years 0002..9998"),
    ("event.put", _set("end", "9999-12-31T23:59"), "end must be in the years 0002..9998"),
    ("event.put", _set("start", "2026-03-04 09:00"), "start has the wrong format"),
    ("event.put", _set("start", "2026-03-04T0\u0669:00"), "start has the wrong format"),
    ("event.put", _set("start", "2026-03-04T09:00Z"), "start has the wrong format"),
    ("event.put", _set("end", "2026-03-04T10:30+01:00"), "end must be 16..19 characters"),
    ("event.put", _set("tags", ["a b"]), "tags[0] has the wrong format"),
    ("event.put", _set("tags", ["a,b"]), "tags[0] has the wrong format"),
    ("event.put", _set("tags", [f"t{i}" for i in range(21)]), "more than 20 items"),
    ("event.put", _set("cohosts", ["not-a-did"]), "cohosts[0] must be an Ed25519 did:key"),
    ("event.put", _set("cohosts", [B, B]), "cohosts has duplicate items"),
    ("event.put", _set("capacity", 100_001), "capacity must be within"),
    ("event.put", _drop("currency"), "price_minor and currency go together"),
    ("event.put", _drop("price_minor"), "price_minor and currency go together"),
    ("event.put", _set("title", None), "title must be a string"),
    # event.cancel
    ("event.cancel", _set("reason", "x" * 501), "reason must be 0..500"),
    # cohost.confirm, cohost.withdraw
    ("cohost.confirm", _set("origin", KEY_A2.kid), "origin must be an Ed25519 did:key"),
    ("cohost.confirm", _set("origin", "https://a.example"), "origin must be an Ed25519 did:key"),
    ("cohost.confirm", _set("event", "-ev"), "event has the wrong format"),
    ("cohost.confirm", _set("event", "e" * 65), "event must be 1..64 characters"),
    ("cohost.confirm", _set("reason", "late"), "unknown field(s) ['reason']"),
    ("cohost.withdraw", _set("reason", "x" * 501), "reason must be 0..500"),
    ("cohost.withdraw", _set("reason", "a\rb"), "reason"),
    ("cohost.withdraw", _set("event", 7), "event must be a string"),
    # project.put, project.close
    ("project.put", _set("deadline", "2026-02-30"), "deadline"),
    ("project.put", _set("deadline", "15/02/2026"), "deadline"),
    ("project.put", _set("title", ""), "title must be 1..200"),
    ("project.put", _set("title", "a\nb"), "title"),
    ("project.put", _set("skills", ["print", "print"]), "skills has duplicate items"),
    ("project.put", _set("skills", [f"s{i}" for i in range(21)]), "more than 20 items"),
    ("project.put", _set("skills", [""]), "skills[0] must be 1..50"),
    ("project.put", _set("remote", "yes"), "remote must be true or false"),
    ("project.put", _set("url", "javascript:alert(1)"), "url has the wrong format"),
    ("project.put", _set("contact", "me@example.org"), "unknown field(s) ['contact']"),
    ("project.close", _set("reason", "x" * 501), "reason must be 0..500"),
    # agreement.publish
    ("agreement.publish", _set("agreement.sigs", {}), "one signature per party"),
    ("agreement.publish", _set("agreement.valid_until", "2025-12-31"), "valid_from must be"),
    ("agreement.publish", _set("agreement.grants.0.resource_kinds", ["sofa"]), "must be one of"),
    ("agreement.publish", _set("agreement.grants.0.days_per_member_month", 0), "must be within"),
    ("agreement.publish", _set("agreement.type", "other"), "type must be one of"),
    # agreement.terminate
    ("agreement.terminate", _set("id", "AB" * 32), "id has the wrong format"),
    ("agreement.terminate", _set("id", "ab" * 31), "id must be 64..64 characters"),
    # pass.revoke
    ("pass.revoke", _set("jti_hashes", ["cd" * 32, "cd" * 32]), "duplicate items"),
    ("pass.revoke", _set("jti_hashes", ["xyz"]), "jti_hashes[0] must be 64..64 characters"),
    ("pass.revoke", _set("jti_hashes", [f"{i:064x}" for i in range(1001)]), "more than 1000"),
    ("pass.revoke", _set("jti_hashes", "cd" * 32), "jti_hashes must be an array"),
    # key.rotate
    ("key.rotate", _set("new_key", A), "new_key has the wrong format"),
    ("key.rotate", _set("new_key", "z0OIl" * 9), "new_key has the wrong format"),
    ("key.rotate", _set("new_key_sig", "A" * 85), "new_key_sig must be 86..86"),
    ("key.rotate", _set("compromised_since", -1), "compromised_since must be within"),
    # peer.announce
    ("peer.announce", _set("peers.0.id", KEY_A2.kid), "id must be an Ed25519 did:key"),
    ("peer.announce", _set("peers.0.url", "b.example"), "url has the wrong format"),
    ("peer.announce", _set("peers.0.name", "B"), "unknown field(s) ['name']"),
    ("peer.announce", _set("peers", [{"id": B}]), "url is required"),
]


@pytest.mark.parametrize(
    ("entry_type", "change", "detail"),
    REFUSALS,
    ids=[f"{t}:{d}" for t, _, d in REFUSALS],
)
def test_refusals(entry_type: str, change: Change, detail: str) -> None:
    body = copy.deepcopy(EXAMPLES[entry_type])
    change(body)
    with pytest.raises(BodyError) as info:
        validate_body(entry_type, body)
    assert info.value.reason == "bad-body"
    assert detail in info.value.detail


@pytest.mark.parametrize(
    ("entry_type", "change"),
    [
        ("space.profile", _set("opening_hours.1.closes", "24:00")),
        ("space.profile", _set("country", "IT")),
        ("event.put", _set("end", "2026-03-04T09:00:01")),
        ("event.put", _set("tags", [])),
        ("resource.put", _set("kind", "meeting_room")),
        ("key.rotate", _set("compromised_since", 0)),
        ("space.profile", _set("contact.url", "http://x.example/path?q=1")),
    ],
)
def test_edge_values_accepted(entry_type: str, change: Change) -> None:
    body = copy.deepcopy(EXAMPLES[entry_type])
    change(body)
    validate_body(entry_type, body)


def test_free_event_needs_no_currency() -> None:
    body = {**MINIMAL["event.put"], "price_minor": 0}
    validate_body("event.put", body)


def test_unsigned_agreement_is_not_publishable() -> None:
    agreement = copy.deepcopy(EXAMPLES["agreement.publish"]["agreement"])
    del agreement["sigs"][B]
    with pytest.raises(BodyError) as info:
        validate_body("agreement.publish", {"agreement": agreement})
    assert "one signature per party" in info.value.detail


def test_key_rotate_example_is_for_a_real_key() -> None:
    assert EXAMPLES["key.rotate"]["new_key"] == KEY_A2.kid != KEY_A.kid
