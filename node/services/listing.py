"""Read-only queries behind the people-facing pages and feeds (home, events, ICS, Atom).

They differ from :func:`node.services.events.query_events` in working with exact instants
("still running now") rather than whole UTC days, and in ordering by last change for feeds.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from node.models import Event, Space


def events_between(
    session: Session,
    origin: str,
    after: datetime,
    before: datetime | None = None,
    tag: str | None = None,
    limit: int = 200,
) -> list[Event]:
    """Events of ``origin`` still running at ``after`` and starting before ``before``, soonest
    first; cancelled ones included (pages mark them). Both bounds are aware UTC datetimes."""
    query = select(Event).where(Event.origin == origin, Event.end_utc > after)
    if before is not None:
        query = query.where(Event.start_utc < before)
    if tag:
        # Tags are stored as ",a,b," in lower case, the same matching the JSON API uses.
        query = query.where(Event.tags.contains("," + tag.lower() + ",", autoescape=True))
    return list(session.scalars(query.order_by(Event.start_utc, Event.id).limit(limit)))


def recently_changed_events(session: Session, origin: str, limit: int = 50) -> list[Event]:
    """Events of ``origin`` by their last published change, newest first (for the Atom feed)."""
    query = (
        select(Event)
        .where(Event.origin == origin)
        .order_by(Event.ts.desc(), Event.seq.desc())
        .limit(limit)
    )
    return list(session.scalars(query))


def space_names(session: Session, origins: Iterable[str]) -> dict[str, str]:
    """Names of the spaces we hold a profile for, by origin (unknown origins are left out)."""
    wanted = set(origins)
    if not wanted:
        return {}
    rows = session.execute(select(Space.origin, Space.name).where(Space.origin.in_(wanted)))
    return {origin: name for origin, name in rows}
