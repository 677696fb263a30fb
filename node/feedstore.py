"""Storing feeds: appending to our own feed, storing verified pages with their projection,
and reading pages back, always inside the caller's transaction.

Every write here happens in the caller's unit of work, so a change and the feed entry that
publishes it commit together, and a stored page commits together with its cursor (the origin's
head). A crash at any point leaves either all of it or none of it.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from datetime import datetime
from typing import Any, cast
from weakref import WeakKeyDictionary

from sqlalchemy import Subquery, Table, func, select, update
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import Session

from federation.canonical import parse_strict
from federation.entries import Entry, build_entry
from federation.errors import ProtocolError
from federation.feeds import Head
from federation.keyring import KeyPeriod, Keyring
from federation.keys import NodeKey, public_key_from_kid
from node.bulk import insert_rows
from node.clock import ms_to_dt, utcnow
from node.features import projectors, watchers
from node.models import DetachedBody, FeedEntry, KeyPeriodRow, Origin
from node.projection import project


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


def heads_of(session: Session, origins: Collection[str]) -> dict[str, Head]:
    """:func:`head` of many origins in one query (those we hold nothing of are left out)."""
    wanted = list(set(origins))
    found: dict[str, Head] = {}
    for start in range(0, len(wanted), 500):  # bounded IN lists, for every database
        rows = session.execute(
            select(Origin.id, Origin.head_seq, Origin.head_hash).where(
                Origin.id.in_(wanted[start : start + 500])
            )
        )
        found.update({origin: Head(seq, hash_) for origin, seq, hash_ in rows if seq})
    return found


# Built once: the front desk builds the keyring for every pass it checks.
_KEY_PERIODS = select(KeyPeriodRow).order_by(KeyPeriodRow.origin, KeyPeriodRow.from_seq)


def keyring(session: Session) -> Keyring:
    """A keyring holding every rotation we have followed (genesis keys need no row)."""
    return _keyring_of(session.scalars(_KEY_PERIODS))


# What the key periods hold, in one row of aggregates, for a reader that keeps a keyring between
# transactions (the front desk): rows are only added by a rotation (closing the previous
# period: ``until_seq``/``until_ts`` set) or dropped and rebuilt with the origin's feed, so a
# change of any of them moves the count, a sum or a kid bound. The table holds one row per
# followed rotation only, so the aggregates cost next to nothing.
KEY_PERIODS_VERSION: Subquery = select(
    func.count().label("periods"),
    func.coalesce(func.sum(KeyPeriodRow.from_seq), 0).label("from_seq"),
    func.coalesce(func.sum(func.coalesce(KeyPeriodRow.until_seq, -1)), 0).label("until_seq"),
    func.coalesce(func.sum(KeyPeriodRow.from_ts), 0).label("from_ts"),
    func.coalesce(func.sum(func.coalesce(KeyPeriodRow.until_ts, -1)), 0).label("until_ts"),
    func.count(KeyPeriodRow.until_seq).label("closed"),
    func.min(KeyPeriodRow.kid).label("first_kid"),
    func.max(KeyPeriodRow.kid).label("last_kid"),
).subquery("key_periods_version")

# Keyrings built from the key periods, per database (engine) and the version they were built
# at. They are handed only to readers that verify with them and never rotate them.
_RINGS: WeakKeyDictionary[Engine | Connection, tuple[tuple[Any, ...], Keyring]] = (
    WeakKeyDictionary()
)


def keyring_at(session: Session, version: tuple[Any, ...]) -> Keyring:
    """:func:`keyring`, kept between transactions while the key periods stay at ``version``
    (read with :data:`KEY_PERIODS_VERSION` in the caller's transaction): a rotation synced
    since is seen by the very next reader. The keyring returned must not be changed."""
    bind = session.get_bind()
    kept = _RINGS.get(bind)
    if kept is not None and kept[0] == version:
        return kept[1]
    ring = keyring(session)
    _RINGS[bind] = (version, ring)
    return ring


def _keyring_of(rows: Any) -> Keyring:
    ring = Keyring()
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
    session: Session,
    key: NodeKey,
    node_id: str,
    entry_type: str,
    body: dict[str, Any],
    now_ms: int,
    detached: bytes | None = None,
) -> Entry:
    """Sign and append an entry to our own feed, projecting it, in the caller's transaction;
    ``detached`` is the canonical bytes of its detached body, stored beside it."""
    row = lock_origin(session, node_id)
    if row is None:
        row = ensure_origin(session, node_id, ms_to_dt(now_ms), is_self=True)
    # Timestamps never go backwards within a feed even if the clock does.
    last_ts = session.scalar(
        select(FeedEntry.ts).where(FeedEntry.origin == node_id, FeedEntry.seq == row.head_seq)
    )
    ts = max(now_ms, last_ts or 0)
    entry = build_entry(key, node_id, row.head_seq + 1, row.head_hash, ts, entry_type, body)
    bodies = {entry.seq: detached} if detached is not None else None
    store_verified(
        session, node_id, [entry], keyring_after=None, now=ms_to_dt(now_ms), detached=bodies
    )
    return entry


def store_verified(
    session: Session,
    origin: str,
    entries: Sequence[Entry],
    keyring_after: Keyring | None,
    relayed_by: str | None = None,
    now: datetime | None = None,
    detached: Mapping[int, bytes] | None = None,
) -> None:
    """Store entries already verified as the continuation of the origin's head, advance the
    head and project them; ``keyring_after`` holds rotations the page applied (if any).
    ``detached`` holds verified detached bodies by seq (``federation.detached.verify_detached``),
    stored before the projectors run, which delete those that later entries drop.

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
    if detached:
        insert_rows(
            session,
            cast(Table, DetachedBody.__table__),
            [{"origin": origin, "seq": seq, "raw": raw} for seq, raw in sorted(detached.items())],
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
    project(session, entries, projectors(), watchers())


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


def detached_raw(session: Session, origin: str, first: int, last: int) -> dict[int, bytes]:
    """The detached bodies we still hold of ``origin``'s entries ``first`` … ``last``."""
    rows = session.execute(
        select(DetachedBody.seq, DetachedBody.raw).where(
            DetachedBody.origin == origin, DetachedBody.seq.between(first, last)
        )
    )
    return {seq: bytes(raw) for seq, raw in rows}


def entry_raw(session: Session, origin: str, seq: int) -> bytes | None:
    return session.scalar(
        select(FeedEntry.raw).where(FeedEntry.origin == origin, FeedEntry.seq == seq)
    )


def heads(session: Session, include_blocked: bool = False) -> dict[str, Head]:
    """Head of every origin we serve (blocked origins are not relayed)."""
    # Three columns, not whole rows: every peer asks for this every round.
    query = select(Origin.id, Origin.head_seq, Origin.head_hash).where(Origin.head_seq > 0)
    if not include_blocked:
        query = query.where(Origin.status != "blocked")
    return {origin: Head(seq, hash_) for origin, seq, hash_ in session.execute(query)}


def own_key_entries(session: Session, node_id: str) -> list[dict[str, Any]]:
    """``node_id``'s own ``key.rotate`` entries in seq order: what a node that meets it needs to
    follow its keys from the genesis key (descriptors, peering requests)."""
    raws = session.scalars(
        select(FeedEntry.raw)
        .where(FeedEntry.origin == node_id, FeedEntry.type == "key.rotate")
        .order_by(FeedEntry.seq)
    )
    return [parse_strict(raw) for raw in raws]
