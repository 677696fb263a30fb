"""The projectors of protocol v1's entry types: each writes what its fold in
``federation.state`` means (protocol.md §Published state) to the node's tables.

Grouped by the feature that registers them (``node.features``): the listing's types
(profile, resources, events and their co-hosts' words, agreements, revocations) and the
network's (key rotations, announced addresses).
"""

from __future__ import annotations

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from federation.agreements import agreement_id
from federation.entries import Entry
from node.clock import utc_instant
from node.models import (
    AgreementPublication,
    AgreementTermination,
    CohostConfirmation,
    Event,
    KeyPeriodRow,
    NodeAddress,
    Resource,
    Revocation,
    Space,
)
from node.projection import Page, Projector


def _dropper(model: type, column: str = "origin"):  # type: ignore[no-untyped-def]
    """A ``drop`` that deletes ``model``'s rows whose ``column`` is the origin."""

    def drop(session: Session, origin: str) -> None:
        session.execute(delete(model).where(getattr(model, column) == origin))

    drop.__doc__ = f"Forget the {model.__tablename__} rows of an origin."  # type: ignore[attr-defined]
    return drop


drop_spaces = _dropper(Space)
drop_resources = _dropper(Resource)
drop_events = _dropper(Event)
drop_publications = _dropper(AgreementPublication)
drop_terminations = _dropper(AgreementTermination)
drop_revocations = _dropper(Revocation)
drop_cohostings = _dropper(CohostConfirmation)
drop_key_periods = _dropper(KeyPeriodRow)


def profile(page: Page, entry: Entry) -> None:
    """``space.profile``: the space row becomes this profile."""
    body = entry.body
    values = {
        "name": body["name"],
        "city": body.get("city"),
        "country": body.get("country"),
        "profile": body,
        "seq": entry.seq,
        "ts": entry.ts,
    }
    page.upsert(Space, {"origin": entry.origin}, values)


def resource_put(page: Page, entry: Entry) -> None:
    """``resource.put``: the resource row becomes this body, present."""
    values = {"kind": entry.body["kind"], "removed": False, "seq": entry.seq, "ts": entry.ts}
    page.put(Resource, entry, values)


def resource_remove(page: Page, entry: Entry) -> None:
    """``resource.remove``: a tombstone; an id never put has no row and no effect."""
    row = page.row(Resource, (entry.origin, entry.body["id"]))
    if row is not None:
        page.assign(row, removed=True, seq=entry.seq, ts=entry.ts)


def event_put(page: Page, entry: Entry) -> None:
    """``event.put``: the event row becomes this body, not cancelled, with its UTC times."""
    body = entry.body
    values = {
        "title": body["title"],
        "start_utc": utc_instant(body["start"], body["timezone"]),
        "end_utc": utc_instant(body["end"], body["timezone"]),
        "tags": "," + ",".join(t.lower() for t in body.get("tags", [])) + ",",
        "cohosts": "," + ",".join(body["cohosts"]) + "," if body.get("cohosts") else "",
        "cancelled": False,
        "cancel_reason": None,
        "seq": entry.seq,
        "ts": entry.ts,
    }
    page.put(Event, entry, values)


def event_cancel(page: Page, entry: Entry) -> None:
    """``event.cancel``: a tombstone with the reason; an id never put has no effect."""
    row = page.row(Event, (entry.origin, entry.body["id"]))
    if row is not None:
        page.assign(
            row, cancelled=True, cancel_reason=entry.body.get("reason"), seq=entry.seq, ts=entry.ts
        )


def _cohosting(page: Page, entry: Entry, withdrawn: bool) -> None:
    key = {
        "origin": entry.origin,
        "event_origin": entry.body["origin"],
        "event_id": entry.body["event"],
    }
    values = {
        "withdrawn": withdrawn,
        "reason": entry.body.get("reason") if withdrawn else None,
        "seq": entry.seq,
        "ts": entry.ts,
    }
    page.upsert(CohostConfirmation, key, values)


def cohost_confirm(page: Page, entry: Entry) -> None:
    """``cohost.confirm``: the origin's word on that event becomes a confirmation."""
    _cohosting(page, entry, withdrawn=False)


def cohost_withdraw(page: Page, entry: Entry) -> None:
    """``cohost.withdraw``: the origin's word on that event becomes a withdrawal (kept even
    when nothing was confirmed, as the fold keeps it)."""
    _cohosting(page, entry, withdrawn=True)


def agreement_publish(page: Page, entry: Entry) -> None:
    """``agreement.publish``: a party's publication is kept; its standing is read later."""
    doc = entry.body["agreement"]
    if entry.origin in doc["parties"]:
        key = {"origin": entry.origin, "id": agreement_id(doc)}
        page.upsert(AgreementPublication, key, {"document": doc, "seq": entry.seq, "ts": entry.ts})


def agreement_terminate(page: Page, entry: Entry) -> None:
    """``agreement.terminate``: kept whether or not the agreement has arrived."""
    key = {"origin": entry.origin, "id": entry.body["id"]}
    values = {"reason": entry.body.get("reason"), "seq": entry.seq, "ts": entry.ts}
    page.upsert(AgreementTermination, key, values)


def pass_revoke(page: Page, entry: Entry) -> None:
    """``pass.revoke``: the hashes join the origin's revocations."""
    hashes = entry.body["jti_hashes"]
    known = set(
        page.session.scalars(
            select(Revocation.jti_hash).where(
                Revocation.origin == entry.origin, Revocation.jti_hash.in_(hashes)
            )
        )
    )
    for jti_hash in hashes:
        if jti_hash not in known:
            known.add(jti_hash)
            page.session.add(Revocation(origin=entry.origin, jti_hash=jti_hash, seq=entry.seq))


def key_rotate(page: Page, entry: Entry) -> None:
    """``key.rotate``: nothing here. The key periods are written with the page by
    ``feedstore.store_verified``, because verifying the rest of the page already needs them."""


def peer_announce(page: Page, entry: Entry) -> None:
    """``peer.announce``: addresses by the rule of ``federation.state.fold_peer_announce``.

    The announcer's list itself is not copied: the latest ``peer.announce`` entry is it.
    """
    announcer = entry.origin
    for item in entry.body["peers"]:
        node_id, url = item["id"], item["url"]
        address = page.session.get(NodeAddress, node_id)
        if address is None:
            page.session.add(
                NodeAddress(node_id=node_id, url=url, announced_by=announcer, seq=entry.seq)
            )
        elif announcer == node_id or address.announced_by == announcer:
            address.url, address.announced_by, address.seq = url, announcer, entry.seq


def drop_addresses(session: Session, origin: str) -> None:
    """Forget the addresses ``origin`` announced, and the address held for it."""
    session.execute(
        delete(NodeAddress).where(
            (NodeAddress.announced_by == origin) | (NodeAddress.node_id == origin)
        )
    )


LISTING_PROJECTORS = (
    Projector("space.profile", profile, drop_spaces),
    Projector("resource.put", resource_put, drop_resources, keyed_rows=Resource),
    Projector("resource.remove", resource_remove, drop_resources, keyed_rows=Resource),
    Projector("event.put", event_put, drop_events, keyed_rows=Event),
    Projector("event.cancel", event_cancel, drop_events, keyed_rows=Event),
    Projector("cohost.confirm", cohost_confirm, drop_cohostings),
    Projector("cohost.withdraw", cohost_withdraw, drop_cohostings),
    # Agreements and revocations stay with the listing until twinning is a feature of its own.
    Projector("agreement.publish", agreement_publish, drop_publications),
    Projector("agreement.terminate", agreement_terminate, drop_terminations),
    Projector("pass.revoke", pass_revoke, drop_revocations),
)

NETWORK_PROJECTORS = (
    Projector("key.rotate", key_rotate, drop_key_periods),
    Projector("peer.announce", peer_announce, drop_addresses),
)
