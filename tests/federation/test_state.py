"""The fold of a feed into the published state."""

from __future__ import annotations

from typing import Any

from federation.agreements import agreement_id
from federation.entries import Entry, build_entry
from federation.state import PublishedState, fold
from tests.federation.builders import KEY_A, NOW_MS, A, B, agreement_doc, event_body, example_bodies


class Feed:
    """Appends signed entries to A's feed."""

    def __init__(self) -> None:
        self.entries: list[Entry] = []

    def add(self, entry_type: str, body: dict[str, Any]) -> Entry:
        seq = len(self.entries) + 1
        prev = self.entries[-1].hash if self.entries else None
        entry = build_entry(KEY_A, A, seq, prev, NOW_MS + seq, entry_type, body)
        self.entries.append(entry)
        return entry


def _resource(name: str) -> dict[str, Any]:
    return {"id": "desk-1", "kind": "hot_desk", "name": name, "capacity": 1}


def test_empty_fold() -> None:
    state = fold([])
    assert state == PublishedState()


def test_latest_wins_per_type_and_id() -> None:
    feed = Feed()
    feed.add("space.profile", {"name": "Old name", "timezone": "UTC"})
    feed.add("resource.put", _resource("Desk"))
    feed.add("event.put", event_body(1))
    feed.add("resource.put", _resource("Window desk"))
    feed.add("space.profile", {"name": "TheCube", "timezone": "Europe/Rome"})
    feed.add("event.put", {**event_body(1), "title": "Moved breakfast"})
    feed.add("event.put", event_body(2))
    state = fold(feed.entries)
    assert state.origin == A and state.head_seq == 7
    assert state.profile is not None and state.profile.body["name"] == "TheCube"
    assert state.profile.seq == 5
    assert state.resources["desk-1"].body["name"] == "Window desk"
    assert state.resources["desk-1"].seq == 4 and state.resources["desk-1"].ts == NOW_MS + 4
    assert state.events["ev-1"].body["title"] == "Moved breakfast"
    assert set(state.events) == {"ev-1", "ev-2"}
    assert not any(r.gone for r in [*state.resources.values(), *state.events.values()])


def test_same_id_in_different_types_do_not_collide() -> None:
    feed = Feed()
    feed.add("resource.put", {**_resource("Desk"), "id": "x"})
    feed.add("event.put", {**event_body(1), "id": "x"})
    feed.add("event.cancel", {"id": "x"})
    state = fold(feed.entries)
    assert not state.resources["x"].gone and state.events["x"].gone


def test_removal_is_a_tombstone_keeping_the_last_body() -> None:
    feed = Feed()
    feed.add("resource.put", _resource("Desk"))
    feed.add("resource.remove", {"id": "desk-1"})
    record = fold(feed.entries).resources["desk-1"]
    assert record.gone and record.seq == 2
    assert record.body["name"] == "Desk"


def test_removal_of_an_unknown_resource_still_leaves_a_tombstone() -> None:
    feed = Feed()
    feed.add("resource.remove", {"id": "never-seen"})
    record = fold(feed.entries).resources["never-seen"]
    assert record.gone and record.body == {"id": "never-seen"}


def test_cancellation_is_a_tombstone_with_reason() -> None:
    feed = Feed()
    feed.add("event.put", event_body(1))
    feed.add("event.cancel", {"id": "ev-1", "reason": "Speaker ill"})
    feed.add("event.cancel", {"id": "ev-unknown"})
    state = fold(feed.entries)
    record = state.events["ev-1"]
    assert record.gone and record.reason == "Speaker ill" and record.seq == 2
    assert record.body["title"] == event_body(1)["title"]  # a calendar can still show it CANCELLED
    unknown = state.events["ev-unknown"]
    assert unknown.gone and unknown.body == {"id": "ev-unknown"}


def test_re_put_after_cancel_or_remove_revives() -> None:
    feed = Feed()
    feed.add("event.put", event_body(1))
    feed.add("event.cancel", {"id": "ev-1"})
    feed.add("event.put", {**event_body(1), "title": "Back on"})
    feed.add("resource.put", _resource("Desk"))
    feed.add("resource.remove", {"id": "desk-1"})
    feed.add("resource.put", _resource("Desk again"))
    state = fold(feed.entries)
    assert not state.events["ev-1"].gone and state.events["ev-1"].reason is None
    assert state.events["ev-1"].body["title"] == "Back on"
    assert not state.resources["desk-1"].gone
    assert state.resources["desk-1"].body["name"] == "Desk again"


def test_agreements_publish_and_terminate() -> None:
    doc = agreement_doc()
    the_id = agreement_id(doc)
    feed = Feed()
    feed.add("agreement.publish", {"agreement": doc})
    feed.add("agreement.terminate", {"id": the_id, "reason": "Closing"})
    feed.add("agreement.terminate", {"id": "ff" * 32})  # unknown: nothing to mark
    state = fold(feed.entries)
    record = state.agreements[the_id]
    assert record.gone and record.reason == "Closing" and record.seq == 2
    assert record.body == doc
    assert set(state.agreements) == {the_id}


def test_revocations_accumulate_keys_append_peers_replace() -> None:
    bodies = example_bodies()
    feed = Feed()
    feed.add("pass.revoke", {"jti_hashes": ["aa" * 32]})
    feed.add("key.rotate", bodies["key.rotate"])  # seq 2: the example is for seq 2
    feed.add("peer.announce", {"peers": [{"id": B, "url": "https://b.example"}]})
    feed.add("pass.revoke", {"jti_hashes": ["bb" * 32, "aa" * 32]})
    feed.add("peer.announce", {"peers": []})
    state = fold(feed.entries)
    assert state.revoked_jti_hashes == {"aa" * 32, "bb" * 32}
    assert state.keys == [bodies["key.rotate"]["new_key"]]
    assert state.peers == []


def test_fold_continues_an_existing_state() -> None:
    feed = Feed()
    feed.add("resource.put", _resource("Desk"))
    feed.add("resource.put", _resource("Window desk"))
    feed.add("resource.remove", {"id": "desk-1"})
    whole = fold(feed.entries)
    partial = fold(feed.entries[:1])
    same = fold(feed.entries[1:], partial)
    assert same is partial
    assert same == whole
