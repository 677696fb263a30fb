"""The node's tables are a cache of exactly the fold (protocol.md §Published state).

For random feeds of three origins, interleaved in a random arrival order and cut into random
pages, what the node stores and reads back through ``node.published`` equals
``federation.state``'s fold of the same entries in the same order — on SQLite and PostgreSQL.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from federation.agreements import agreement_id, countersign, grant, is_valid, propose
from federation.entries import Entry, build_entry
from federation.keyring import Keyring
from federation.keys import NodeKey
from federation.state import agreement_standing, confirmed_cohosts
from federation.version import V1
from node import published
from node.feedstore import store_verified
from node.network.blocking import block
from tests.support import SpaceNode

T0_MS = 1_790_000_000_000
EPOCH = datetime(2000, 1, 1, tzinfo=UTC)
IDS = ("a", "b", "c")


@dataclass(frozen=True)
class Step:
    """One entry to append: which of the three origins, and what (built once keys exist)."""

    who: int
    kind: str
    args: tuple[Any, ...]


def _agreements(keys: list[NodeKey]) -> list[dict[str, Any]]:
    """Two agreements between origins 0 and 1, and one whose second signature is forged."""
    a, b = keys[0], keys[1]
    docs = []
    for nonce in ("nonce-first-000000", "nonce-second-00000"):
        grants = [grant(a.did, b.did, 2, 10, ["hot_desk"]), grant(b.did, a.did, 1, 5, ["office"])]
        proposal = propose(a, b.did, grants, "2026-01-01", "2027-01-01", T0_MS, nonce=nonce)
        docs.append(countersign(b, proposal, Keyring()))
    forged = propose(
        a, b.did, docs[0]["grants"], "2026-01-01", "2027-01-01", T0_MS, nonce="nonce-forged-0000"
    )
    forged["sigs"] = {**forged["sigs"], b.did: docs[0]["sigs"][b.did]}  # B signed another doc
    docs.append(forged)
    return docs


def _body(step: Step, keys: list[NodeKey], docs: list[dict[str, Any]]) -> dict[str, Any]:
    kind, args = step.kind, step.args
    if kind == "space.profile":
        return {"name": f"Space {args[0]}", "timezone": "Europe/Rome"}
    if kind == "resource.put":
        return {"id": args[0], "kind": "hot_desk", "name": f"Desk {args[1]}", "capacity": 2}
    if kind == "event.put":
        body = {
            "id": args[0],
            "title": f"Event {args[1]}",
            "start": "2027-03-01T09:00",
            "end": "2027-03-01T10:00",
            "timezone": "Europe/Rome",
            "tags": [f"t{args[1]}"],
        }
        cohosts = [keys[n].did for n in sorted(args[2])]
        return {**body, "cohosts": cohosts} if cohosts else body
    if kind in ("cohost.confirm", "cohost.withdraw"):
        body = {"origin": keys[args[0]].did, "event": args[1]}
        return {**body, "reason": args[2]} if len(args) > 2 and args[2] is not None else body
    if kind in ("resource.remove", "profile.withdraw"):
        return {"id": args[0]}
    if kind == "profile.put":
        return {"id": args[0], "body_hash": f"{args[1]:064x}"}
    if kind == "event.cancel":
        return {"id": args[0], **({"reason": args[1]} if args[1] is not None else {})}
    if kind == "project.put":
        body = {"id": args[0], "title": f"Call {args[1]}", "deadline": "2027-03-01"}
        return {**body, "skills": [f"S{args[1]}", "print"], "remote": args[1] % 2 == 0}
    if kind == "project.close":
        return {"id": args[0], **({"reason": args[1]} if args[1] is not None else {})}
    if kind == "agreement.publish":
        return {"agreement": docs[args[0]]}
    if kind == "agreement.terminate":
        body = {"id": agreement_id(docs[args[0]])}
        return {**body, **({"reason": args[1]} if args[1] is not None else {})}
    if kind == "pass.revoke":
        return {"jti_hashes": [f"{n:064x}" for n in args[0]]}
    assert kind == "peer.announce"
    return {
        "peers": [
            {"id": keys[n].did, "url": f"https://n{n}-by-{step.who}-{v}.example"}
            for n, v in args[0]
        ]
    }


_WHO = st.integers(0, 2)
_ID = st.sampled_from(IDS)
_N = st.integers(0, 3)
_REASON = st.one_of(st.none(), st.sampled_from(["", "rain", "closed"]))
# What each entry type's random arguments are (read by _body).
_ARGS = {
    "space.profile": st.tuples(_N),
    "resource.put": st.tuples(_ID, _N),
    "resource.remove": st.tuples(_ID),
    "event.put": st.tuples(_ID, _N, st.sets(_WHO, max_size=3)),
    "event.cancel": st.tuples(_ID, _REASON),
    "cohost.confirm": st.tuples(_WHO, _ID),
    "cohost.withdraw": st.tuples(_WHO, _ID, _REASON),
    "project.put": st.tuples(_ID, _N),
    "project.close": st.tuples(_ID, _REASON),
    "agreement.publish": st.tuples(st.integers(0, 2)),
    "agreement.terminate": st.tuples(st.integers(0, 2), _REASON),
    "pass.revoke": st.tuples(st.sets(_N, min_size=1)),
    "profile.put": st.tuples(_ID, _N),
    "profile.withdraw": st.tuples(_ID),
    "peer.announce": st.tuples(st.lists(st.tuples(_WHO, _N), max_size=3, unique_by=lambda t: t[0])),
}
_STEP = st.one_of(*(st.builds(Step, _WHO, st.just(k), args) for k, args in _ARGS.items()))


def test_the_steps_cover_every_entry_type() -> None:
    """A new entry type must join this test (key.rotate is covered by the feed tests)."""
    assert set(_ARGS) | {"key.rotate"} == set(V1.entry_types)


def _arrivals(steps: list[Step], cuts: list[bool]) -> tuple[list[NodeKey], list[list[Entry]]]:
    """Fresh keys, and the steps as signed pages in arrival order: a run of one origin's
    consecutive steps is one page unless ``cuts`` splits it."""
    keys = [NodeKey.generate() for _ in range(3)]
    docs = _agreements(keys)
    heads: list[tuple[int, str | None]] = [(0, None)] * 3
    pages: list[list[Entry]] = []
    for index, step in enumerate(steps):
        seq, prev = heads[step.who]
        key = keys[step.who]
        entry = build_entry(
            key, key.did, seq + 1, prev, T0_MS + index, step.kind, _body(step, keys, docs)
        )
        heads[step.who] = (seq + 1, entry.hash)
        same_origin = pages and pages[-1][-1].origin == entry.origin
        if same_origin and not cuts[index % len(cuts)]:
            pages[-1].append(entry)
        else:
            pages.append([entry])
    return keys, pages


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    steps=st.lists(_STEP, min_size=1, max_size=25),
    cuts=st.lists(st.booleans(), min_size=1, max_size=8),
)
def test_stored_state_reads_back_as_the_fold(
    space: SpaceNode, steps: list[Step], cuts: list[bool]
) -> None:
    keys, pages = _arrivals(steps, cuts)
    origins = [key.did for key in keys]
    for page in pages:
        with space.node.db.write() as session:
            store_verified(session, page[0].origin, page, None)
    expected = V1.fold([entry for page in pages for entry in page])
    with space.node.db.read() as session:
        stored = published.network_state(session, origins)
        standing = published.agreements(session)
        rows = [published.event(session, o, i) for o in origins for i in IDS]
        cohosts = published.confirmed_cohosts(session, [row for row in rows if row is not None])
        hosted = {
            o: {
                (e.origin, e.id) for e in published.events_between(session, o, EPOCH, cohosted=True)
            }
            for o in origins
        }
    assert stored.origins == expected.origins
    assert stored.addresses == expected.addresses
    ours = {k: v for k, v in standing.items() if set(v.document["parties"]) <= set(origins)}
    assert ours == agreement_standing(expected, partial(is_valid, keyring=None))
    assert cohosts == {
        (o, i): confirmed_cohosts(expected, o, i)
        for o, state in expected.origins.items()
        for i in state.events
    }
    for origin in origins:  # a space's events: its own and those it co-hosts, nothing else
        assert hosted[origin] == {
            (o, i)
            for o, state in expected.origins.items()
            for i in state.events
            if o == origin or origin in confirmed_cohosts(expected, o, i)
        }


def test_blocking_a_party_ends_what_it_published(space: SpaceNode) -> None:
    """A blocked node's agreements stop standing, with the rest of what it published."""
    keys = [NodeKey.generate() for _ in range(3)]
    doc = _agreements(keys)[0]
    other = keys[1]
    entry = build_entry(other, other.did, 1, None, T0_MS, "agreement.publish", {"agreement": doc})
    with space.node.db.write() as session:
        store_verified(session, other.did, [entry], None)
    with space.node.db.read() as session:
        assert published.agreements(session)[agreement_id(doc)].in_force
    with space.node.db.write() as session:
        block(session, space.node, other.did, "spam")
    with space.node.db.read() as session:
        assert agreement_id(doc) not in published.agreements(session)
        assert published.network_state(session, [other.did]).origins == {}
