"""Events of the space (``event.put`` / ``event.cancel``): validate, publish, show as JSON.

Reading events (one, or a query across origins) is ``node.published``'s."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session

from node import published
from node.clock import utc_text
from node.errors import Conflict, InvalidInput, NotFound
from node.messages import N_
from node.models import Event
from node.runtime import Node
from node.services.ids import new_id
from node.services.publishing import drop_none, publish
from node.services.validation import load

if TYPE_CHECKING:
    from node import schemas
else:  # marshmallow costs a tenth of a second to import; `spazi event list` never validates
    from node.lazy import lazy_module

    schemas = lazy_module("node.schemas")


def event_view(row: Event) -> dict[str, Any]:
    """The public JSON shape of an event."""
    view = {**row.body, "origin": row.origin, "cancelled": row.cancelled}
    if row.cancel_reason:
        view["cancel_reason"] = row.cancel_reason
    # aware(): SQLite returns these UTC columns naive; astimezone() would read them as local time.
    view["start_utc"] = utc_text(row.start_utc)
    view["end_utc"] = utc_text(row.end_utc)
    return view


def _default_timezone(session: Session, node: Node) -> str:
    space = published.space(session, node.node_id)
    if space is None:
        raise InvalidInput(N_("the space has no profile yet"), reason="no-profile")
    return str(space.profile["timezone"])


def get_event(session: Session, origin: str, event_id: str) -> Event:
    row = published.event(session, origin, event_id)
    if row is None:
        raise NotFound(N_("no event %(event_id)r", event_id=event_id), reason="unknown-event")
    return row


def add_event(session: Session, node: Node, data: Any) -> dict[str, Any]:
    """Validate and publish a new event (time zone defaults to the space's)."""
    body = drop_none(load(schemas.EventSchema(), data))
    body.setdefault("timezone", _default_timezone(session, node))
    body.setdefault("id", new_id(body["title"]))
    if published.event(session, node.node_id, body["id"]) is not None:
        raise Conflict(N_("event %(id)r already exists", id=body["id"]), reason="event-exists")
    publish(session, node, "event.put", body)
    return body


def update_event(session: Session, node: Node, event_id: str, changes: Any) -> dict[str, Any]:
    """Change fields of an event and publish it again (this also re-opens a cancelled one)."""
    row = get_event(session, node.node_id, event_id)
    data = load(schemas.EventSchema(), changes, partial=True)
    if "id" in data and data["id"] != event_id:
        raise Conflict(N_("an event's id cannot change"), reason="id-immutable")
    body = drop_none({**row.body, **data})
    if body["end"] <= body["start"]:
        raise InvalidInput(
            N_("end: end must be after start"), errors={"end": [N_("end must be after start")]}
        )
    if schemas.priced_without_currency(body, ("price_minor",)):
        raise InvalidInput(
            schemas.PRICE_NEEDS_CURRENCY,
            field="currency",
            errors={"currency": [schemas.PRICE_NEEDS_CURRENCY]},
        )
    publish(session, node, "event.put", body)
    return body


def cancel_event(session: Session, node: Node, event_id: str, data: Any = None) -> None:
    row = get_event(session, node.node_id, event_id)
    if row.cancelled:
        raise Conflict(
            N_("event %(event_id)r is already cancelled", event_id=event_id),
            reason="already-cancelled",
        )
    body = {"id": event_id, **load(schemas.CancelSchema(), {} if data is None else data)}
    publish(session, node, "event.cancel", body)


def parse_query(args: Any) -> dict[str, Any]:
    """Validate event filters from a query string or CLI options."""
    return load(
        schemas.EventQuerySchema(), {k: v for k, v in dict(args).items() if v not in (None, "")}
    )
