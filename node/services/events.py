"""Events of the space (``event.put`` / ``event.cancel``) and event queries across origins."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from node.clock import aware
from node.errors import Conflict, InvalidInput, NotFound
from node.models import Event, Space
from node.runtime import Node
from node.schemas import CancelSchema, EventQuerySchema, EventSchema
from node.services.ids import new_id
from node.services.publishing import drop_none, publish
from node.services.validation import load


def event_view(row: Event) -> dict[str, Any]:
    """The public JSON shape of an event."""
    view = {**row.body, "origin": row.origin, "cancelled": row.cancelled}
    if row.cancel_reason:
        view["cancel_reason"] = row.cancel_reason
    # aware(): SQLite returns these UTC columns naive; astimezone() would read them as local time.
    view["start_utc"] = aware(row.start_utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    view["end_utc"] = aware(row.end_utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    return view


def _default_timezone(session: Session, node: Node) -> str:
    space = session.get(Space, node.node_id)
    if space is None:
        raise InvalidInput("the space has no profile yet", reason="no-profile")
    return str(space.profile["timezone"])


def get_event(session: Session, origin: str, event_id: str) -> Event:
    row = session.get(Event, (origin, event_id))
    if row is None:
        raise NotFound(f"no event {event_id!r}", reason="unknown-event")
    return row


def add_event(session: Session, node: Node, data: Any) -> dict[str, Any]:
    """Validate and publish a new event (time zone defaults to the space's)."""
    body = drop_none(load(EventSchema(), data))
    body.setdefault("timezone", _default_timezone(session, node))
    body.setdefault("id", new_id(body["title"]))
    if session.get(Event, (node.node_id, body["id"])) is not None:
        raise Conflict(f"event {body['id']!r} already exists", reason="event-exists")
    publish(session, node, "event.put", body)
    return body


def update_event(session: Session, node: Node, event_id: str, changes: Any) -> dict[str, Any]:
    """Change fields of an event and publish it again (this also re-opens a cancelled one)."""
    row = get_event(session, node.node_id, event_id)
    data = load(EventSchema(), changes, partial=True)
    if "id" in data and data["id"] != event_id:
        raise Conflict("an event's id cannot change", reason="id-immutable")
    body = drop_none({**row.body, **data})
    if body["end"] <= body["start"]:
        raise InvalidInput("end: end must be after start")
    publish(session, node, "event.put", body)
    return body


def cancel_event(session: Session, node: Node, event_id: str, data: Any = None) -> None:
    row = get_event(session, node.node_id, event_id)
    if row.cancelled:
        raise Conflict(f"event {event_id!r} is already cancelled", reason="already-cancelled")
    body = {"id": event_id, **load(CancelSchema(), data or {})}
    publish(session, node, "event.cancel", body)


def like_literal(text: str) -> str:
    """``text`` for a LIKE pattern that matches it literally (``%`` and ``_`` are not wildcards)."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def parse_query(args: Any) -> dict[str, Any]:
    """Validate event filters from a query string or CLI options."""
    return load(EventQuerySchema(), {k: v for k, v in dict(args).items() if v not in (None, "")})


def query_events(
    session: Session,
    origin: str | None = None,
    start: date | None = None,
    end: date | None = None,
    tag: str | None = None,
    city: str | None = None,
    include_cancelled: bool = True,
    limit: int = 500,
) -> list[Event]:
    """Events overlapping [start, end] (whole UTC days), newest last; ``origin`` None = all."""
    query = select(Event)
    if origin is not None:
        query = query.where(Event.origin == origin)
    if start is not None:
        query = query.where(Event.end_utc >= datetime.combine(start, time.min, UTC))
    if end is not None:
        query = query.where(
            Event.start_utc < datetime.combine(end + timedelta(days=1), time.min, UTC)
        )
    if tag:
        query = query.where(Event.tags.contains("," + tag.lower() + ",", autoescape=True))
    if city:
        query = query.join(Space, Space.origin == Event.origin).where(
            Space.city.ilike(like_literal(city), escape="\\")
        )
    if not include_cancelled:
        query = query.where(Event.cancelled.is_(False))
    return list(session.scalars(query.order_by(Event.start_utc, Event.id).limit(limit)))
