"""Detached bodies (protocol.md §Detached bodies): checked against the hash their entry signs,
refused with a reason when they do not fit, and never kept once a later entry drops them."""

from __future__ import annotations

from typing import Any

import pytest

from federation.detached import (
    detached_hash,
    encode_detached,
    new_salt,
    superseded_in_page,
    verify_detached,
)
from federation.entries import Entry, build_entry
from federation.errors import BodyError, EntryError
from federation.keys import NodeKey

KEY = NodeKey.from_seed(bytes([7]) * 32)


def body(**changes: Any) -> dict[str, Any]:
    return {"salt": "A" * 22, "name": "Giulia", "skills": ["restauro mobili"], **changes}


def feed(*specs: tuple[str, dict[str, Any]]) -> list[Entry]:
    entries, prev = [], None
    for seq, (kind, entry_body) in enumerate(specs, start=1):
        entry = build_entry(KEY, KEY.did, seq, prev, 1_767_225_600_000 + seq, kind, entry_body)
        entries.append(entry)
        prev = entry.hash
    return entries


def put(doc: dict[str, Any], profile_id: str = "p-1") -> tuple[str, dict[str, Any]]:
    return "profile.put", {"id": profile_id, "body_hash": detached_hash(encode_detached(
        "profile.put", doc))}  # fmt: skip


def test_a_matching_body_is_accepted_as_its_canonical_bytes() -> None:
    entries = feed(("space.profile", {"name": "S", "timezone": "UTC"}), put(body()))
    assert verify_detached(entries, {"2": body()}) == {2: encode_detached("profile.put", body())}
    assert verify_detached(entries, None) == {} and verify_detached(entries, {}) == {}


@pytest.mark.parametrize(
    ("detached", "reason"),
    [
        ({"2": body(name="Someone else")}, "detached-body-mismatch"),
        ({"1": body()}, "bad-detached-body"),  # space.profile has no detached body
        ({"3": body()}, "bad-detached-body"),  # no entry 3 in the page
        ({"02": body()}, "bad-detached-body"),  # not a canonical decimal seq
        ({"2": {**body(), "email": "x@example.org"}}, "bad-detached-body"),  # closed document
        ({"2": body(bio="x" * 1001)}, "bad-detached-body"),
        ({"2": body(bio="x" * 999 + "\x07")}, "bad-detached-body"),
        ({"2": {**body(), "skills": [1.5]}}, "bad-detached-body"),  # outside the subset
        (["not", "an", "object"], "bad-detached-body"),
    ],
)
def test_a_body_that_does_not_fit_refuses_the_page(detached: Any, reason: str) -> None:
    entries = feed(("space.profile", {"name": "S", "timezone": "UTC"}), put(body()))
    with pytest.raises(EntryError) as refused:
        verify_detached(entries, detached)
    assert refused.value.reason == reason


def test_bodies_a_later_entry_of_the_page_drops_are_not_kept() -> None:
    first, second = body(bio="old"), body(bio="new")
    entries = feed(put(first), put(second), put(body(), "p-2"), ("profile.withdraw", {"id": "p-2"}))
    assert superseded_in_page(entries) == {1, 3}
    kept = verify_detached(entries, {"1": first, "2": second, "3": body()})
    assert kept == {2: encode_detached("profile.put", second)}


def test_writers_refuse_oversized_bodies_and_bodies_of_other_types() -> None:
    with pytest.raises(BodyError) as refused:
        encode_detached("profile.put", body(bio="x" * 1001))
    assert refused.value.reason == "bad-detached-body"
    with pytest.raises(BodyError):
        encode_detached("event.put", body())
    assert len(new_salt()) == 22 and new_salt() != new_salt()


class _Store:
    """The least a sync round needs: one origin's feed, and what each stored page carried."""

    def __init__(self) -> None:
        self.entries: list[Entry] = []
        self.bodies: dict[int, bytes] = {}

    def head(self, origin: str) -> Any:
        from federation.feeds import Head

        return Head(self.entries[-1].seq, self.entries[-1].hash) if self.entries else Head()

    def heads(self, origins: Any) -> dict[str, Any]:
        return {KEY.did: self.head(KEY.did)} if self.entries else {}

    def keyring_for(self, origin: str) -> Any:
        from federation.keyring import Keyring

        return Keyring()

    def entry_at(self, origin: str, seq: int) -> Entry | None:
        return self.entries[seq - 1] if 0 < seq <= len(self.entries) else None

    def store_page(self, origin: str, entries: Any, detached: Any = None) -> None:
        self.entries.extend(entries)
        self.bodies.update(detached or {})

    def record_fork(self, proof: Any) -> None:
        raise AssertionError("no fork here")

    def is_quarantined(self, origin: str) -> bool:
        return False

    def is_blocked(self, origin: str) -> bool:
        return False

    def wanted(self, origin: str, relayed_by: str) -> bool:
        return True


class _Relay:
    """A relay serving one feed with the detached bodies it chooses."""

    def __init__(self, entries: list[Entry], detached: Any) -> None:
        self.entries, self.detached = entries, detached

    def get_heads(self, url: str) -> dict[str, Any]:
        from federation.feeds import Head

        return {KEY.did: Head(self.entries[-1].seq, self.entries[-1].hash)}

    def get_feed_page(self, url: str, origin: str, after: int, limit: int) -> Any:
        from federation.canonical import parse_strict
        from federation.sync import FeedPage

        docs = [parse_strict(e.raw) for e in self.entries[after : after + limit]]
        return FeedPage(origin, docs, detached=self.detached)

    def get_entry(self, url: str, origin: str, seq: int) -> Any:
        raise AssertionError("not needed")


@pytest.mark.parametrize("honest", [True, False])
def test_sync_stores_a_matching_body_and_refuses_a_page_with_a_forged_one(honest: bool) -> None:
    from federation.sync import sync_from_peer

    entries = feed(("space.profile", {"name": "S", "timezone": "UTC"}), put(body()))
    served = body() if honest else body(bio="Words the member never wrote.")
    store = _Store()
    report = sync_from_peer(
        _Relay(entries, {"2": served}), "http://relay.test", store, 2**52, peer_id=KEY.did
    )
    if honest:
        assert report.ok and store.bodies == {2: encode_detached("profile.put", body())}
        assert len(store.entries) == 2
    else:
        assert report.errors[KEY.did].reason == "detached-body-mismatch"
        assert store.entries == [] and store.bodies == {}  # nothing of the page is kept
