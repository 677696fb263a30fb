"""Published state: the one fold of verified feeds (protocol.md §Published state).

This module is the meaning of a feed. Each entry type's fold is a function here, paired with
the type's body schema in :mod:`federation.version`; a node's tables are a cache of exactly this
fold (ARCHITECTURE.md §Invariants), and a property test holds the two equal.

Per origin, records are replaceable and keyed by (type, id): the latest entry wins. Removals and
cancellations are tombstones: the record stays, flagged, so a calendar can show CANCELLED
instead of silently forgetting the event. A removal or cancellation of an id the origin never
put has no effect (there is nothing to bury).

Across origins three things are decided here and nowhere else:

- **addresses** (:func:`fold_peer_announce`): a node's own word on its address wins; otherwise
  the first origin to announce an address keeps it. This depends on the order entries arrive,
  so :class:`NetworkState` is folded in arrival order;
- **agreement standing** (:func:`agreement_standing`): an agreement stands when a party
  published it and both signatures verify, and ends for good once either party terminates it,
  whichever of the two entries arrived first;
- **co-hosts** (:func:`confirmed_cohosts`): a space named in an event's ``cohosts`` co-hosts it
  only while its own feed confirms that event and has not withdrawn since.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from federation.agreements import agreement_id


class FoldedEntry(Protocol):
    """What a fold reads of a verified entry (:class:`federation.entries.Entry` has it)."""

    @property
    def origin(self) -> str: ...
    @property
    def seq(self) -> int: ...
    @property
    def ts(self) -> int: ...
    @property
    def type(self) -> str: ...
    @property
    def body(self) -> Mapping[str, Any]: ...


@dataclass
class Record:
    """One replaceable record and the entry that last changed it."""

    body: Mapping[str, Any]
    seq: int
    ts: int
    gone: bool = False  # removed resource or cancelled event
    reason: str | None = None  # why it was cancelled (events) or terminated (terminations)


@dataclass
class PublishedState:
    """What one origin currently publishes."""

    origin: str
    head_seq: int = 0
    profile: Record | None = None
    resources: dict[str, Record] = field(default_factory=dict)
    events: dict[str, Record] = field(default_factory=dict)
    # Agreements this origin published as one of their parties, by agreement id.
    agreements: dict[str, Record] = field(default_factory=dict)
    # Terminations this origin signed, by agreement id (whether or not the agreement is known).
    terminations: dict[str, Record] = field(default_factory=dict)
    revoked_jti_hashes: set[str] = field(default_factory=set)
    # This origin's word on co-hosting other origins' events, by (event origin, event id): a
    # confirmation, or a withdrawal (``gone``, with its reason).
    cohostings: dict[tuple[str, str], Record] = field(default_factory=dict)
    # Members' network profiles by id: the entry body (id and body_hash); a withdrawal is a
    # tombstone (``gone``). The detached bodies are not part of the fold (protocol.md §Detached
    # bodies).
    people: dict[str, Record] = field(default_factory=dict)
    # Calls for collaboration by id; a closed one is a tombstone (``gone``, with its reason).
    projects: dict[str, Record] = field(default_factory=dict)
    keys: list[str] = field(default_factory=list)  # new_key of each key.rotate, in order
    peers: list[Mapping[str, str]] = field(default_factory=list)  # the latest peer.announce


@dataclass
class Address:
    """Where a node is reached, and who said so."""

    url: str
    announced_by: str
    seq: int  # the announcing entry's seq in the announcer's feed


@dataclass
class NetworkState:
    """The fold of every feed a node holds, applied in the order the entries arrived."""

    origins: dict[str, PublishedState] = field(default_factory=dict)
    addresses: dict[str, Address] = field(default_factory=dict)

    def of(self, origin: str) -> PublishedState:
        """The state of ``origin`` (an empty one the first time it is named)."""
        state = self.origins.get(origin)
        if state is None:
            state = self.origins[origin] = PublishedState(origin)
        return state


Fold = Callable[[NetworkState, FoldedEntry], None]


def fold_profile(net: NetworkState, entry: FoldedEntry) -> None:
    """``space.profile``: becomes the profile."""
    net.of(entry.origin).profile = Record(entry.body, entry.seq, entry.ts)


def fold_resource_put(net: NetworkState, entry: FoldedEntry) -> None:
    """``resource.put``: the resource becomes this body, present."""
    net.of(entry.origin).resources[entry.body["id"]] = Record(entry.body, entry.seq, entry.ts)


def fold_resource_remove(net: NetworkState, entry: FoldedEntry) -> None:
    """``resource.remove``: a tombstone keeping the last body; an unknown id: no effect."""
    resources = net.of(entry.origin).resources
    old = resources.get(entry.body["id"])
    if old is not None:
        resources[entry.body["id"]] = Record(old.body, entry.seq, entry.ts, gone=True)


def fold_profile_put(net: NetworkState, entry: FoldedEntry) -> None:
    """``profile.put``: the member profile with that id becomes this body, present."""
    net.of(entry.origin).people[entry.body["id"]] = Record(entry.body, entry.seq, entry.ts)


def fold_profile_withdraw(net: NetworkState, entry: FoldedEntry) -> None:
    """``profile.withdraw``: a tombstone keeping the last entry body; an unknown id: no effect."""
    people = net.of(entry.origin).people
    old = people.get(entry.body["id"])
    if old is not None:
        people[entry.body["id"]] = Record(old.body, entry.seq, entry.ts, gone=True)


def fold_event_put(net: NetworkState, entry: FoldedEntry) -> None:
    """``event.put``: the event becomes this body, not cancelled."""
    net.of(entry.origin).events[entry.body["id"]] = Record(entry.body, entry.seq, entry.ts)


def fold_event_cancel(net: NetworkState, entry: FoldedEntry) -> None:
    """``event.cancel``: a tombstone with the reason; an unknown id: no effect."""
    events = net.of(entry.origin).events
    old = events.get(entry.body["id"])
    if old is not None:
        events[entry.body["id"]] = Record(
            old.body, entry.seq, entry.ts, gone=True, reason=entry.body.get("reason")
        )


def fold_cohost_confirm(net: NetworkState, entry: FoldedEntry) -> None:
    """``cohost.confirm``: the origin co-hosts that event (whether or not it has arrived)."""
    key = (entry.body["origin"], entry.body["event"])
    net.of(entry.origin).cohostings[key] = Record(entry.body, entry.seq, entry.ts)


def fold_cohost_withdraw(net: NetworkState, entry: FoldedEntry) -> None:
    """``cohost.withdraw``: a withdrawal with its reason replaces any confirmation; recorded
    even when nothing was confirmed, like a termination."""
    key = (entry.body["origin"], entry.body["event"])
    net.of(entry.origin).cohostings[key] = Record(
        entry.body, entry.seq, entry.ts, gone=True, reason=entry.body.get("reason")
    )


def fold_project_put(net: NetworkState, entry: FoldedEntry) -> None:
    """``project.put``: the call becomes this body, open."""
    net.of(entry.origin).projects[entry.body["id"]] = Record(entry.body, entry.seq, entry.ts)


def fold_project_close(net: NetworkState, entry: FoldedEntry) -> None:
    """``project.close``: a tombstone with the reason; an unknown id: no effect."""
    projects = net.of(entry.origin).projects
    old = projects.get(entry.body["id"])
    if old is not None:
        projects[entry.body["id"]] = Record(
            old.body, entry.seq, entry.ts, gone=True, reason=entry.body.get("reason")
        )


def fold_agreement_publish(net: NetworkState, entry: FoldedEntry) -> None:
    """``agreement.publish``: recorded when the origin is a party (anyone else's copy is not
    theirs to publish). A later publication of the same id replaces the record."""
    doc = entry.body["agreement"]
    if entry.origin in doc["parties"]:
        net.of(entry.origin).agreements[agreement_id(doc)] = Record(doc, entry.seq, entry.ts)


def fold_agreement_terminate(net: NetworkState, entry: FoldedEntry) -> None:
    """``agreement.terminate``: recorded even when the agreement is not (yet) known here, so
    the outcome does not depend on which feed was synced first."""
    net.of(entry.origin).terminations[entry.body["id"]] = Record(
        entry.body, entry.seq, entry.ts, reason=entry.body.get("reason")
    )


def fold_pass_revoke(net: NetworkState, entry: FoldedEntry) -> None:
    """``pass.revoke``: the hashes join the origin's revoked set (revocations accumulate)."""
    net.of(entry.origin).revoked_jti_hashes.update(entry.body["jti_hashes"])


def fold_key_rotate(net: NetworkState, entry: FoldedEntry) -> None:
    """``key.rotate``: the key periods themselves are :class:`federation.keyring.Keyring`'s."""
    net.of(entry.origin).keys.append(entry.body["new_key"])


def fold_peer_announce(net: NetworkState, entry: FoldedEntry) -> None:
    """``peer.announce``: the origin's list is replaced; addresses follow protocol.md
    §peer.announce. A node's own item replaces whatever was held and nobody else's word
    replaces it; otherwise the first announcer keeps the address and only it may change it."""
    announcer = entry.origin
    net.of(announcer).peers = list(entry.body["peers"])
    for item in entry.body["peers"]:
        node_id, url = item["id"], item["url"]
        held = net.addresses.get(node_id)
        if held is None or announcer == node_id or held.announced_by == announcer:
            net.addresses[node_id] = Address(url, announcer, entry.seq)


def apply(net: NetworkState, entry: FoldedEntry, folds: Mapping[str, Fold]) -> None:
    """Fold one verified entry (each origin's entries in seq order) into ``net``."""
    state = net.of(entry.origin)
    state.head_seq = entry.seq
    folds[entry.type](net, entry)


def fold(
    entries: Iterable[FoldedEntry], folds: Mapping[str, Fold], net: NetworkState | None = None
) -> NetworkState:
    """Fold verified entries, in arrival order, into a new or existing network state.

    ``folds`` maps entry types to their folds: a protocol version's (``V1.folds``).
    """
    result = net if net is not None else NetworkState()
    for entry in entries:
        apply(result, entry, folds)
    return result


def confirmed_cohosts(net: NetworkState, origin: str, event_id: str) -> list[str]:
    """The co-hosts of ``origin``'s event ``event_id`` that confirmed it (protocol.md
    §Published state): those its latest ``event.put`` names in ``cohosts``, in that order,
    whose own feeds hold a confirmation of it not withdrawn since. An unknown event has none."""
    state = net.origins.get(origin)
    record = state.events.get(event_id) if state is not None else None
    if record is None:
        return []
    found = []
    for cohost in record.body.get("cohosts", []):
        cohost_state = net.origins.get(cohost)
        word = cohost_state.cohostings.get((origin, event_id)) if cohost_state else None
        if cohost != origin and word is not None and not word.gone:
            found.append(cohost)
    return found


@dataclass(frozen=True)
class Standing:
    """Where one agreement stands across the network (protocol.md §Published state)."""

    id: str
    document: Mapping[str, Any]
    published_by: tuple[str, ...]  # the parties whose feeds publish it, sorted
    valid: bool  # both parties' signatures verify
    terminated_by: str | None  # the party whose termination ended it (the earliest by ts)
    reason: str | None

    @property
    def in_force(self) -> bool:
        """Signed by both, published by a party and never terminated by one."""
        return self.valid and self.terminated_by is None


def agreement_standing(
    net: NetworkState, verify: Callable[[Mapping[str, Any]], bool]
) -> dict[str, Standing]:
    """Every agreement a party published, with where it stands.

    ``verify`` checks both signatures of a document against the keys known now; it is asked at
    read time, not when the entry arrived, because a party's rotation may arrive later.
    A termination is final: a later publication of the same document does not revive it.
    """
    published: dict[str, list[tuple[str, Mapping[str, Any]]]] = {}
    for origin, state in sorted(net.origins.items()):
        for agreement, record in state.agreements.items():
            published.setdefault(agreement, []).append((origin, record.body))
    result: dict[str, Standing] = {}
    for agreement, copies in published.items():
        # The parties' copies differ at most in their signatures: stand on one that verifies.
        verified = [doc for _, doc in copies if verify(doc)]
        doc = verified[0] if verified else copies[0][1]
        ended: tuple[int, str, str | None] | None = None
        for party in doc["parties"]:
            party_state = net.origins.get(party)
            end = party_state.terminations.get(agreement) if party_state else None
            if end is not None and (ended is None or (end.ts, party) < ended[:2]):
                ended = (end.ts, party, end.reason)
        result[agreement] = Standing(
            id=agreement,
            document=doc,
            published_by=tuple(origin for origin, _ in copies),
            valid=bool(verified),
            terminated_by=ended[1] if ended else None,
            reason=ended[2] if ended else None,
        )
    return result
