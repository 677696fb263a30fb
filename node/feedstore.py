"""Storing feeds: appending to our own feed, storing verified pages, and the published-state
projection, always inside the caller's transaction.

Every write here happens in the caller's unit of work, so a change and the feed entry that
publishes it commit together, and a stored page commits together with its cursor (the origin's
head). A crash at any point leaves either all of it or none of it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, cast
from zoneinfo import ZoneInfo

from sqlalchemy import Table, select, update
from sqlalchemy.orm import Session

from federation.agreements import agreement_id, verify_agreement
from federation.canonical import parse_strict
from federation.entries import Entry, body_json, build_entry
from federation.errors import ProtocolError
from federation.feeds import Head
from federation.keyring import KeyPeriod, Keyring
from federation.keys import NodeKey, public_key_from_kid
from node.bulk import insert_rows
from node.models import (
    Agreement,
    Event,
    FeedEntry,
    KeyPeriodRow,
    NodeAddress,
    Origin,
    Resource,
    Revocation,
    Space,
)


def utcnow() -> datetime:
    return datetime.now(UTC)


def aware(value: datetime) -> datetime:
    """SQLite hands back naive datetimes for timezone-aware columns; they are stored as UTC."""
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def ms_to_dt(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, UTC)


def ensure_origin(
    session: Session,
    origin: str,
    now: datetime,
    *,
    is_self: bool = False,
    relayed_by: str | None = None,
) -> Origin:
    """The row of ``origin``, created (empty feed) if this is the first we hear of it."""
    row = session.get(Origin, origin)
    if row is None:
        row = Origin(
            id=origin,
            is_self=is_self,
            head_seq=0,
            head_hash=None,
            status="active",
            first_seen=now,
            updated=now,
            relayed_by=relayed_by,
        )
        session.add(row)
        session.flush()
    return row


def lock_origin(session: Session, origin: str) -> Origin | None:
    """The origin's row, locked for the rest of the transaction (PostgreSQL row lock; SQLite
    write transactions already hold the database write lock)."""
    return session.scalars(select(Origin).where(Origin.id == origin).with_for_update()).first()


def self_origin(session: Session) -> Origin | None:
    """Our own origin row (None before ``spazi init`` wrote the first entry)."""
    return session.scalars(select(Origin).where(Origin.is_self.is_(True))).first()


def head(session: Session, origin: str) -> Head:
    row = session.get(Origin, origin)
    return Head(row.head_seq, row.head_hash) if row else Head()


def keyring(session: Session) -> Keyring:
    """A keyring holding every rotation we have followed (genesis keys need no row)."""
    ring = Keyring()
    rows = session.scalars(
        select(KeyPeriodRow).order_by(KeyPeriodRow.origin, KeyPeriodRow.from_seq)
    )
    grouped: dict[str, list[KeyPeriod]] = {}
    for row in rows:
        grouped.setdefault(row.origin, []).append(
            KeyPeriod(
                row.kid,
                public_key_from_kid(row.kid),
                row.from_seq,
                row.until_seq,
                row.from_ts,
                row.until_ts,
            )
        )
    for origin, periods in grouped.items():
        ring.set_periods(origin, periods)
    return ring


def _save_key_periods(session: Session, origin: str, ring: Keyring) -> None:
    """Persist the origin's key periods after a rotation was applied to ``ring``."""
    existing = {
        r.kid: r for r in session.scalars(select(KeyPeriodRow).where(KeyPeriodRow.origin == origin))
    }
    for period in ring.periods(origin):
        row = existing.get(period.kid)
        if row is None:
            session.add(
                KeyPeriodRow(
                    origin=origin,
                    kid=period.kid,
                    from_seq=period.from_seq,
                    until_seq=period.until_seq,
                    from_ts=period.from_ts,
                    until_ts=period.until_ts,
                )
            )
        else:
            row.until_seq, row.until_ts = period.until_seq, period.until_ts


def append_own(
    session: Session, key: NodeKey, node_id: str, entry_type: str, body: dict[str, Any], now_ms: int
) -> Entry:
    """Sign and append an entry to our own feed, projecting it, in the caller's transaction."""
    row = lock_origin(session, node_id)
    if row is None:
        row = ensure_origin(session, node_id, ms_to_dt(now_ms), is_self=True)
    # Timestamps never go backwards within a feed even if the clock does.
    last_ts = session.scalar(
        select(FeedEntry.ts).where(FeedEntry.origin == node_id, FeedEntry.seq == row.head_seq)
    )
    ts = max(now_ms, last_ts or 0)
    entry = build_entry(key, node_id, row.head_seq + 1, row.head_hash, ts, entry_type, body)
    store_verified(session, node_id, [entry], keyring_after=None, now=ms_to_dt(now_ms))
    return entry


def store_verified(
    session: Session,
    origin: str,
    entries: Sequence[Entry],
    keyring_after: Keyring | None,
    relayed_by: str | None = None,
    now: datetime | None = None,
) -> None:
    """Store entries already verified as the continuation of the origin's head, advance the
    head and project them; ``keyring_after`` holds rotations the page applied (if any).

    ``now`` is the node's clock (what "updated" shows people); the real clock if not given.
    """
    if not entries:
        return
    now = now or utcnow()
    row = lock_origin(session, origin) or ensure_origin(session, origin, now, relayed_by=relayed_by)
    if entries[0].seq != row.head_seq + 1 or entries[0].prev != row.head_hash:
        # The head moved since the page was verified (another sync stored it first).
        raise ProtocolError("stale-head", f"{origin} is now at seq {row.head_seq}")
    # Straight to the DBAPI: an ORM bulk insert costs tens of µs more per row, Core a few.
    insert_rows(
        session,
        cast(Table, FeedEntry.__table__),
        [
            {
                "origin": origin,
                "seq": e.seq,
                "hash": e.hash,
                "ts": e.ts,
                "type": e.type,
                "raw": e.raw,
            }
            for e in entries
        ],
    )
    last = entries[-1]
    session.execute(
        update(Origin)
        .where(Origin.id == origin)
        .values(head_seq=last.seq, head_hash=last.hash, updated=now)
    )
    rotated = any(e.type == "key.rotate" for e in entries)
    if rotated:
        ring = keyring_after
        if ring is None:
            ring = keyring(session)
            for entry in entries:
                if entry.type == "key.rotate":
                    ring.apply_rotation(origin, entry.seq, entry.ts, entry.body)
        _save_key_periods(session, origin, ring)
    project(session, entries)


def _utc(local: str, tz: str) -> datetime:
    """The UTC instant of wall-clock time ``local`` in zone ``tz`` (an event's start or end).

    Same result as ``fromisoformat(local).replace(tzinfo=ZoneInfo(tz)).astimezone(UTC)``, fold
    and gaps included (both ask the zone for the offset of the naive wall time, fold 0), at a
    third of the cost: ``replace`` and ``astimezone`` cost microseconds each on the sync hot
    path, where every ``event.put`` needs two of these, while parsing an ISO text that ends in
    ``+00:00`` yields an aware UTC datetime directly.
    """
    wall = datetime.fromisoformat(local)
    offset = ZoneInfo(tz).utcoffset(wall)
    if offset is None:  # pragma: no cover - ZoneInfo always knows the offset
        offset = timedelta(0)
    return datetime.fromisoformat((wall - offset).isoformat() + "+00:00")


# Rows a page's entries may touch, by (model, primary key): a loaded row, the values of a row the
# page creates (a dict, inserted in bulk at the end of the page), or None for "no such row yet".
RowCache = dict[tuple[Any, Any], Any]
_KEYED_KINDS = {
    "event.put": Event,
    "event.cancel": Event,
    "resource.put": Resource,
    "resource.remove": Resource,
}
_PRELOAD_CHUNK = 500  # ids per IN (...) query: well under every database's parameter limit


def _preload(session: Session, entries: Sequence[Entry]) -> RowCache:
    """Load every event and resource row the entries name, in one query per model and origin.

    A page of a thousand ``event.put`` entries would otherwise cost a thousand primary-key
    lookups (and a flush each); this is the difference between sync being bound by signature
    checks and being bound by the database.
    """
    wanted: dict[tuple[Any, str], set[str]] = {}
    for entry in entries:
        model = _KEYED_KINDS.get(entry.type)
        if model is not None:
            wanted.setdefault((model, entry.origin), set()).add(entry.body["id"])
    cache: RowCache = {}
    for (model, origin), ids in wanted.items():
        ordered = sorted(ids)
        for key in ordered:
            cache[(model, (origin, key))] = None
        for start in range(0, len(ordered), _PRELOAD_CHUNK):
            chunk = ordered[start : start + _PRELOAD_CHUNK]
            query = select(model).where(model.origin == origin, model.id.in_(chunk))
            for row in session.scalars(query):
                cache[(model, (origin, row.id))] = row
    return cache


def _row(session: Session, cache: RowCache, model: Any, pk: Any) -> Any:
    """The row ``pk`` of ``model``: from the page's cache, else by primary key."""
    if (model, pk) in cache:
        return cache[(model, pk)]
    return session.get(model, pk)


def _assign(row: Any, **values: Any) -> None:
    """Set columns on a loaded row or on the values of a row still to be inserted."""
    if isinstance(row, dict):
        row.update(values)
    else:
        for name, value in values.items():
            setattr(row, name, value)


def project(session: Session, entries: Iterable[Entry]) -> None:
    """Apply entries to the published-state tables (latest wins, tombstones kept)."""
    entries = list(entries)
    cache = _preload(session, entries)
    # New event and resource rows go in with one executemany per table: building an ORM object
    # per row costs more than checking the entry's signature.
    inserts: dict[Any, list[dict[str, Any]]] = {Event: [], Resource: []}
    for entry in entries:
        body, kind, origin = entry.body, entry.type, entry.origin
        if kind == "space.profile":
            values = {
                "name": body["name"],
                "city": body.get("city"),
                "country": body.get("country"),
                "profile": body,
                "seq": entry.seq,
                "ts": entry.ts,
            }
            _upsert(session, Space, {"origin": origin}, values, cache)
        elif kind == "resource.put":
            values = {"kind": body["kind"], "removed": False, "seq": entry.seq}
            _put(session, cache, inserts, Resource, entry, values)
        elif kind == "resource.remove":
            res = _row(session, cache, Resource, (origin, body["id"]))
            if res is not None:
                _assign(res, removed=True, seq=entry.seq)
        elif kind == "event.put":
            values = {
                "title": body["title"],
                "start_utc": _utc(body["start"], body["timezone"]),
                "end_utc": _utc(body["end"], body["timezone"]),
                "tags": "," + ",".join(t.lower() for t in body.get("tags", [])) + ",",
                "cancelled": False,
                "cancel_reason": None,
                "seq": entry.seq,
                "ts": entry.ts,
            }
            _put(session, cache, inserts, Event, entry, values)
        elif kind == "event.cancel":
            ev = _row(session, cache, Event, (origin, body["id"]))
            if ev is not None:
                _assign(
                    ev, cancelled=True, cancel_reason=body.get("reason"), seq=entry.seq, ts=entry.ts
                )
        elif kind == "agreement.publish":
            _project_agreement(session, entry)
        elif kind == "agreement.terminate":
            agr = session.get(Agreement, body["id"])
            # Either party may end the agreement; nobody else can.
            if agr is not None and origin in (agr.party_a, agr.party_b):
                agr.terminated, agr.seq = True, entry.seq
        elif kind == "peer.announce":
            for item in body["peers"]:
                _learn_address(session, origin, item["id"], item["url"], entry.seq)
        elif kind == "pass.revoke":
            known = set(
                session.scalars(
                    select(Revocation.jti_hash).where(
                        Revocation.origin == origin, Revocation.jti_hash.in_(body["jti_hashes"])
                    )
                )
            )
            for jti_hash in body["jti_hashes"]:
                if jti_hash not in known:
                    session.add(Revocation(origin=origin, jti_hash=jti_hash, seq=entry.seq))
    # One flush for the page: lookups in between autoflush (or hit the cache), so later entries
    # of the page still see the rows earlier ones added.
    session.flush()
    for model, rows in inserts.items():
        insert_rows(session, model.__table__, rows, json_text={"body"})


def _learn_address(session: Session, announcer: str, node_id: str, url: str, seq: int) -> None:
    """Record where ``announcer`` says ``node_id`` is reached (protocol.md §peer.announce).

    A node's word on its own address (it lists itself) is signed by that node, so it replaces
    what anyone else said and nobody else's word replaces it. Otherwise the first announcer
    keeps the address and only it may change it: a later announcer cannot move a link that
    others already follow.
    """
    address = session.get(NodeAddress, node_id)
    if address is None:
        session.add(NodeAddress(node_id=node_id, url=url, announced_by=announcer, seq=seq))
    elif announcer == node_id or address.announced_by == announcer:
        address.url, address.announced_by, address.seq = url, announcer, seq


def _project_agreement(session: Session, entry: Entry) -> None:
    doc = entry.body["agreement"]
    if entry.origin not in doc["parties"]:
        return  # only a party may publish an agreement; anyone else's copy is ignored
    try:
        # Never trust a relayed agreement: both parties' signatures are checked here too.
        verify_agreement(doc, keyring(session))
    except ProtocolError:
        return
    values = {
        "party_a": doc["parties"][0],
        "party_b": doc["parties"][1],
        "document": doc,
        "terminated": False,
        "published_by": entry.origin,
        "seq": entry.seq,
    }
    existing = session.get(Agreement, agreement_id(doc))
    if existing is not None and existing.terminated:
        return  # a termination is final; a re-publication does not revive it
    _upsert(session, Agreement, {"id": agreement_id(doc)}, values)


def _put(
    session: Session,
    cache: RowCache,
    inserts: dict[Any, list[dict[str, Any]]],
    model: Any,
    entry: Entry,
    values: dict[str, Any],
) -> None:
    """Apply an ``event.put`` or ``resource.put``: replace the row, or queue a new one.

    A new row joins the page's bulk insert with its body as the canonical JSON text cut from
    the entry (no second encoding); a loaded row is updated through the ORM.
    """
    pk = (entry.origin, entry.body["id"])
    row = _row(session, cache, model, pk)
    if isinstance(row, dict):  # queued by an earlier entry of this page: replace its values
        row.update(values, body=body_json(entry))
    elif row is None:
        row = {"origin": entry.origin, "id": entry.body["id"], **values, "body": body_json(entry)}
        inserts[model].append(row)
        cache[(model, pk)] = row
    else:
        _assign(row, **values, body=entry.body)


def _upsert(
    session: Session,
    model: Any,
    key: dict[str, Any],
    values: dict[str, Any],
    cache: RowCache | None = None,
) -> None:
    """Create or update the row ``key`` of ``model`` through the ORM."""
    pk = tuple(key.values()) if len(key) > 1 else next(iter(key.values()))
    row = _row(session, cache, model, pk) if cache is not None else session.get(model, pk)
    if row is None:
        row = model(**key, **values)
        session.add(row)
        if cache is not None:
            cache[(model, pk)] = row
    else:
        _assign(row, **values)


def page_raw(session: Session, origin: str, after: int, limit: int) -> list[bytes]:
    """The canonical bytes of up to ``limit`` entries after ``after``, in seq order."""
    return list(
        session.scalars(
            select(FeedEntry.raw)
            .where(FeedEntry.origin == origin, FeedEntry.seq > after)
            .order_by(FeedEntry.seq)
            .limit(limit)
        )
    )


def entry_raw(session: Session, origin: str, seq: int) -> bytes | None:
    return session.scalar(
        select(FeedEntry.raw).where(FeedEntry.origin == origin, FeedEntry.seq == seq)
    )


def heads(session: Session, include_blocked: bool = False) -> dict[str, Head]:
    """Head of every origin we serve (blocked origins are not relayed)."""
    query = select(Origin).where(Origin.head_seq > 0)
    if not include_blocked:
        query = query.where(Origin.status != "blocked")
    return {row.id: Head(row.head_seq, row.head_hash) for row in session.scalars(query)}


def own_key_entries(session: Session, node_id: str) -> list[dict[str, Any]]:
    """``node_id``'s own ``key.rotate`` entries in seq order: what a node that meets it needs to
    follow its keys from the genesis key (descriptors, peering requests)."""
    raws = session.scalars(
        select(FeedEntry.raw)
        .where(FeedEntry.origin == node_id, FeedEntry.type == "key.rotate")
        .order_by(FeedEntry.seq)
    )
    return [parse_strict(raw) for raw in raws]
