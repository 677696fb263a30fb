"""The fold of feeds into published state (protocol.md §Published state)."""

from __future__ import annotations

from functools import partial
from typing import Any

from federation.agreements import agreement_id, is_valid
from federation.entries import Entry, build_entry
from federation.keys import NodeKey
from federation.state import (
    Address,
    NetworkState,
    PublishedState,
    agreement_standing,
    confirmed_cohosts,
)
from federation.version import V1
from tests.federation.builders import (
    KEY_A,
    KEY_B,
    KEY_C,
    NOW_MS,
    A,
    B,
    agreement_doc,
    event_body,
    example_bodies,
)

C = KEY_C.did


class Feed:
    """Appends signed entries to one origin's feed."""

    def __init__(self, key: NodeKey = KEY_A) -> None:
        self.key = key
        self.entries: list[Entry] = []

    def add(self, entry_type: str, body: dict[str, Any]) -> Entry:
        seq = len(self.entries) + 1
        prev = self.entries[-1].hash if self.entries else None
        entry = build_entry(self.key, self.key.did, seq, prev, NOW_MS + seq, entry_type, body)
        self.entries.append(entry)
        return entry


def _resource(name: str) -> dict[str, Any]:
    return {"id": "desk-1", "kind": "hot_desk", "name": name, "capacity": 1}


def of_a(entries: list[Entry]) -> PublishedState:
    return V1.fold(entries).of(A)


def test_every_entry_type_has_a_fold() -> None:
    assert set(V1.folds) == set(V1.entry_types)


def test_empty_fold() -> None:
    assert V1.fold([]) == NetworkState()


def test_latest_wins_per_type_and_id() -> None:
    feed = Feed()
    feed.add("space.profile", {"name": "Old name", "timezone": "UTC"})
    feed.add("resource.put", _resource("Desk"))
    feed.add("event.put", event_body(1))
    feed.add("resource.put", _resource("Window desk"))
    feed.add("space.profile", {"name": "TheCube", "timezone": "Europe/Rome"})
    feed.add("event.put", {**event_body(1), "title": "Moved breakfast"})
    feed.add("event.put", event_body(2))
    state = of_a(feed.entries)
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
    state = of_a(feed.entries)
    assert not state.resources["x"].gone and state.events["x"].gone


def test_removal_is_a_tombstone_keeping_the_last_body_and_its_ts() -> None:
    feed = Feed()
    feed.add("resource.put", _resource("Desk"))
    feed.add("resource.remove", {"id": "desk-1"})
    record = of_a(feed.entries).resources["desk-1"]
    assert record.gone and record.seq == 2 and record.ts == NOW_MS + 2
    assert record.body["name"] == "Desk"


def test_removing_or_cancelling_an_id_never_put_has_no_effect() -> None:
    feed = Feed()
    feed.add("resource.remove", {"id": "never-seen"})
    feed.add("event.cancel", {"id": "ev-unknown", "reason": "nothing to cancel"})
    state = of_a(feed.entries)
    assert state.resources == {} and state.events == {}
    assert state.head_seq == 2


def test_cancellation_is_a_tombstone_with_reason() -> None:
    feed = Feed()
    feed.add("event.put", event_body(1))
    feed.add("event.cancel", {"id": "ev-1", "reason": "Speaker ill"})
    record = of_a(feed.entries).events["ev-1"]
    assert record.gone and record.reason == "Speaker ill" and record.seq == 2
    assert record.body["title"] == event_body(1)["title"]  # a calendar can still show it CANCELLED


def test_re_put_after_cancel_or_remove_revives() -> None:
    feed = Feed()
    feed.add("event.put", event_body(1))
    feed.add("event.cancel", {"id": "ev-1"})
    feed.add("event.put", {**event_body(1), "title": "Back on"})
    feed.add("resource.put", _resource("Desk"))
    feed.add("resource.remove", {"id": "desk-1"})
    feed.add("resource.put", _resource("Desk again"))
    state = of_a(feed.entries)
    assert not state.events["ev-1"].gone and state.events["ev-1"].reason is None
    assert state.events["ev-1"].body["title"] == "Back on"
    assert not state.resources["desk-1"].gone
    assert state.resources["desk-1"].body["name"] == "Desk again"


def _standing(net: NetworkState) -> dict[str, Any]:
    return agreement_standing(net, partial(is_valid, keyring=None))


def test_an_agreement_a_party_publishes_stands_and_either_party_ends_it_with_a_reason() -> None:
    doc = agreement_doc()
    the_id = agreement_id(doc)
    a, b = Feed(KEY_A), Feed(KEY_B)
    a.add("agreement.publish", {"agreement": doc})
    standing = _standing(V1.fold(a.entries))[the_id]
    assert standing.in_force and standing.published_by == (A,) and standing.document == doc
    # Terminated by the *other* party, which never published it itself.
    b.add("agreement.terminate", {"id": the_id, "reason": "Closing"})
    standing = _standing(V1.fold([*a.entries, *b.entries]))[the_id]
    assert not standing.in_force and standing.terminated_by == B
    assert standing.reason == "Closing"


def test_a_termination_that_arrives_before_the_publication_still_ends_it() -> None:
    doc = agreement_doc()
    a, b = Feed(KEY_A), Feed(KEY_B)
    a.add("agreement.publish", {"agreement": doc})
    b.add("agreement.terminate", {"id": agreement_id(doc)})
    for order in ([*a.entries, *b.entries], [*b.entries, *a.entries]):
        assert not _standing(V1.fold(order))[agreement_id(doc)].in_force


def test_a_termination_is_final_and_a_republication_does_not_revive_it() -> None:
    doc = agreement_doc()
    a = Feed(KEY_A)
    a.add("agreement.publish", {"agreement": doc})
    a.add("agreement.terminate", {"id": agreement_id(doc), "reason": "done"})
    a.add("agreement.publish", {"agreement": doc})
    standing = _standing(V1.fold(a.entries))[agreement_id(doc)]
    assert not standing.in_force and standing.reason == "done"


def test_only_parties_publish_or_end_an_agreement() -> None:
    doc = agreement_doc()
    c = Feed(KEY_C)
    c.add("agreement.publish", {"agreement": doc})
    assert _standing(V1.fold(c.entries)) == {}
    a = Feed(KEY_A)
    a.add("agreement.publish", {"agreement": doc})
    c.add("agreement.terminate", {"id": agreement_id(doc)})
    assert _standing(V1.fold([*a.entries, *c.entries]))[agreement_id(doc)].in_force


def test_an_agreement_whose_signature_does_not_verify_does_not_stand() -> None:
    doc = agreement_doc()
    forged = {**doc, "sigs": {**doc["sigs"], B: doc["sigs"][A]}}
    a = Feed(KEY_A)
    a.add("agreement.publish", {"agreement": forged})
    standing = _standing(V1.fold(a.entries))[agreement_id(doc)]
    assert not standing.valid and not standing.in_force


def test_revocations_accumulate_keys_append_peers_replace() -> None:
    bodies = example_bodies()
    feed = Feed()
    feed.add("pass.revoke", {"jti_hashes": ["aa" * 32]})
    feed.add("key.rotate", bodies["key.rotate"])  # seq 2: the example is for seq 2
    feed.add("peer.announce", {"peers": [{"id": B, "url": "https://b.example"}]})
    feed.add("pass.revoke", {"jti_hashes": ["bb" * 32, "aa" * 32]})
    feed.add("peer.announce", {"peers": []})
    state = of_a(feed.entries)
    assert state.revoked_jti_hashes == {"aa" * 32, "bb" * 32}
    assert state.keys == [bodies["key.rotate"]["new_key"]]
    assert state.peers == []


def test_addresses_first_announcer_keeps_and_a_nodes_own_word_wins() -> None:
    a, b, c = Feed(KEY_A), Feed(KEY_B), Feed(KEY_C)
    a.add("peer.announce", {"peers": [{"id": C, "url": "https://c-by-a.example"}]})
    b.add("peer.announce", {"peers": [{"id": C, "url": "https://c-by-b.example"}]})
    net = V1.fold([*a.entries, *b.entries])
    assert net.addresses[C] == Address("https://c-by-a.example", A, 1)
    a.add("peer.announce", {"peers": [{"id": C, "url": "https://c-moved.example"}]})
    c.add("peer.announce", {"peers": [{"id": C, "url": "https://c.example"}]})
    a.add("peer.announce", {"peers": [{"id": C, "url": "https://c-again.example"}]})
    net = V1.fold([a.entries[0], *b.entries, a.entries[1], *c.entries, a.entries[2]])
    assert net.addresses[C] == Address("https://c.example", C, 1)


def test_fold_continues_an_existing_state() -> None:
    feed = Feed()
    feed.add("resource.put", _resource("Desk"))
    feed.add("resource.put", _resource("Window desk"))
    feed.add("resource.remove", {"id": "desk-1"})
    whole = V1.fold(feed.entries)
    partial_state = V1.fold(feed.entries[:1])
    same = V1.fold(feed.entries[1:], partial_state)
    assert same is partial_state
    assert same == whole


def _cohosted(key: tuple[str, str]) -> dict[str, Any]:
    return {"origin": key[0], "event": key[1]}


def test_a_confirmation_is_kept_and_a_withdrawal_replaces_it_with_its_reason() -> None:
    b = Feed(KEY_B)
    b.add("cohost.confirm", _cohosted((A, "ev-1")))
    b.add("cohost.confirm", _cohosted((A, "ev-2")))
    b.add("cohost.withdraw", {**_cohosted((A, "ev-1")), "reason": "Room taken."})
    b.add("cohost.withdraw", _cohosted((C, "never-confirmed")))
    state = V1.fold(b.entries).of(B)
    assert set(state.cohostings) == {(A, "ev-1"), (A, "ev-2"), (C, "never-confirmed")}
    assert state.cohostings[(A, "ev-1")].gone and state.cohostings[(A, "ev-1")].seq == 3
    assert state.cohostings[(A, "ev-1")].reason == "Room taken."
    assert not state.cohostings[(A, "ev-2")].gone
    assert state.cohostings[(C, "never-confirmed")].gone
    b.add("cohost.confirm", _cohosted((A, "ev-1")))  # confirming again after a withdrawal
    assert not V1.fold(b.entries).of(B).cohostings[(A, "ev-1")].gone


def test_an_event_is_co_hosted_only_by_named_spaces_that_confirmed_it() -> None:
    a, b, c = Feed(KEY_A), Feed(KEY_B), Feed(KEY_C)
    a.add("event.put", {**event_body(1), "cohosts": [B, C]})
    assert _confirmed(a, b, c) == []  # named, not confirmed: nobody
    b.add("cohost.confirm", _cohosted((A, "ev-1")))
    c.add("cohost.confirm", _cohosted((A, "ev-2")))  # another event
    assert _confirmed(a, b, c) == [B]
    c.add("cohost.confirm", _cohosted((A, "ev-1")))
    assert _confirmed(a, b, c) == [B, C]
    b.add("cohost.withdraw", _cohosted((A, "ev-1")))
    assert _confirmed(a, b, c) == [C]
    a.add("event.put", {**event_body(1), "cohosts": [B]})  # the author drops C
    assert _confirmed(a, b, c) == []
    b.add("cohost.confirm", _cohosted((A, "ev-1")))
    assert _confirmed(a, b, c) == [B]


def test_co_hosting_does_not_depend_on_which_feed_arrived_first() -> None:
    a, b = Feed(KEY_A), Feed(KEY_B)
    a.add("event.put", event_body(1))  # names B
    b.add("cohost.confirm", _cohosted((A, "ev-1")))
    early = V1.fold([*b.entries, *a.entries])
    late = V1.fold([*a.entries, *b.entries])
    assert confirmed_cohosts(early, A, "ev-1") == confirmed_cohosts(late, A, "ev-1") == [B]
    assert confirmed_cohosts(early, A, "unknown") == []
    assert confirmed_cohosts(early, C, "ev-1") == []


def test_an_author_confirming_its_own_event_co_hosts_nothing() -> None:
    a = Feed(KEY_A)
    a.add("event.put", {**event_body(1), "cohosts": [A]})
    a.add("cohost.confirm", _cohosted((A, "ev-1")))
    assert confirmed_cohosts(V1.fold(a.entries), A, "ev-1") == []


def _confirmed(*feeds: Feed) -> list[str]:
    return confirmed_cohosts(V1.fold([e for feed in feeds for e in feed.entries]), A, "ev-1")


def test_a_closed_call_is_a_tombstone_and_a_put_reopens_it() -> None:
    call = example_bodies()["project.put"]
    feed = Feed()
    feed.add("project.close", {"id": "call-1", "reason": "before it existed"})
    assert of_a(feed.entries).projects == {}  # closing an id never put has no effect
    feed.add("project.put", call)
    feed.add("project.close", {"id": "call-1", "reason": "We found them."})
    record = of_a(feed.entries).projects["call-1"]
    assert record.gone and record.reason == "We found them." and record.seq == 3
    assert record.body["title"] == call["title"]  # the last body stays, as a cancelled event's
    feed.add("project.put", {**call, "title": "Still looking"})
    record = of_a(feed.entries).projects["call-1"]
    assert not record.gone and record.reason is None and record.body["title"] == "Still looking"
    # Calls and events are separate namespaces.
    feed.add("event.cancel", {"id": "call-1"})
    assert not of_a(feed.entries).projects["call-1"].gone
