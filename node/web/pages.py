"""Public pages: the space's home, its events list and one page per event."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from flask import Blueprint, request, url_for
from sqlalchemy.orm import Session

from node import published
from node.errors import InvalidInput
from node.http.context import node
from node.http.marks import etagged
from node.models import Event
from node.runtime import Node
from node.services import events, network, resources, space
from node.web import formatting, jsonld, sharing
from node.web.rendering import absolute_url, render

bp = etagged(Blueprint("pages", __name__))

HOME_EVENTS = 5
LIST_EVENTS = 200


@dataclass(frozen=True)
class EventCard:
    """What a page shows of one event."""

    id: str
    title: str
    when: str
    start_iso: str
    end_iso: str
    timezone: str
    cancelled: bool
    cancel_reason: str | None
    tags: list[str]
    ended: bool
    body: dict[str, Any]
    # Where its page is: ours, or its author's node for an event we co-host ("" when unknown).
    page_url: str = ""
    host: str = ""  # the author's space, for an event we co-host; "" for our own


def _card(row: Event, now: datetime, page_url: str = "", host: str = "") -> EventCard:
    body = row.body
    tz = body["timezone"]
    end_iso = formatting.iso_with_offset(body["end"], tz)
    return EventCard(
        id=row.id,
        title=body["title"],
        when=formatting.format_span(body["start"], body["end"]),
        start_iso=formatting.iso_with_offset(body["start"], tz),
        end_iso=end_iso,
        timezone=tz,
        cancelled=row.cancelled,
        cancel_reason=row.cancel_reason,
        tags=list(body.get("tags", [])),
        ended=datetime.fromisoformat(end_iso) <= now,
        body=body,
        page_url=page_url or url_for("pages.event", event_id=row.id),
        host=host,
    )


def hosted_cards(
    session: Session, current: Node, rows: list[Event], now: datetime
) -> list[EventCard]:
    """Cards of the space's events as ``published.events_between(..., cohosted=True)`` gives
    them: ours link to our pages, the ones we co-host to their author's node, naming it."""
    others = {row.origin for row in rows if row.origin != current.node_id}
    names = published.space_names(session, others)
    urls = network.node_urls(session, current, others)
    cards = []
    for row in rows:
        if row.origin == current.node_id:
            cards.append(_card(row, now))
            continue
        page = network.event_page(urls.get(row.origin, ""), row.id)
        cards.append(_card(row, now, page, names.get(row.origin) or "another space"))
    return cards


def _now() -> datetime:
    return datetime.fromtimestamp(node().now_ms() / 1000, UTC)


def _event_jsonld(
    card: EventCard, profile: dict[str, Any], *, with_context: bool = True
) -> dict[str, Any]:
    return jsonld.event(
        card.body,
        cancelled=card.cancelled,
        page_url=absolute_url("pages.event", event_id=card.id),
        profile=profile,
        space_url=node().url,
        with_context=with_context,
    )


def _map_url(profile: dict[str, Any]) -> str | None:
    """A link to the space on OpenStreetMap (a plain link: the page itself loads nothing)."""
    lat, lon = profile.get("latitude_e6"), profile.get("longitude_e6")
    if lat is None or lon is None:
        return None
    lat_text, lon_text = f"{lat / 1e6:.6f}", f"{lon / 1e6:.6f}"
    return (
        f"https://www.openstreetmap.org/?mlat={lat_text}&mlon={lon_text}"
        f"#map=17/{lat_text}/{lon_text}"
    )


@bp.get("/")
def home() -> tuple[str, int]:
    """The space: profile, opening hours, resources and the next few events."""
    current, now = node(), _now()
    with current.db.read() as session:
        profile = space.get_profile(session, current.node_id)
        rows = resources.list_resources(session, current.node_id)
        upcoming = published.events_between(
            session, current.node_id, now, limit=HOME_EVENTS, cohosted=True
        )
        resource_bodies = [r.body for r in rows]
        cards = hosted_cards(session, current, upcoming, now)
    today = formatting.local_today(profile["timezone"], current.now_ms())
    hours = profile.get("opening_hours") or []
    doc = jsonld.graph(
        [
            jsonld.place(profile, current.url, with_context=False),
            *(_event_jsonld(c, profile, with_context=False) for c in cards if not c.host),
        ]
    )
    return render(
        "home.html",
        profile=profile,
        weekly=formatting.weekly_hours(hours, today),
        special=formatting.special_hours(hours, today),
        resources=resource_bodies,
        events=cards,
        map_url=_map_url(profile),
        jsonld=jsonld.script_tag(doc),
        canonical=absolute_url("pages.home"),
        preview=sharing.space_preview(profile, absolute_url("pages.home")),
    )


@bp.get("/events")
def event_list() -> tuple[str, int]:
    """Upcoming events, optionally from/to a day (at the space) and with a tag."""
    current, now = node(), _now()
    raw = {k: request.args.get(k, "").strip() for k in ("from", "to", "tag")}
    error = None
    try:
        filters = events.parse_query(raw)
    except InvalidInput as exc:
        filters, error = {}, exc.detail
    cards: list[EventCard] = []
    with current.db.read() as session:
        profile = space.get_profile(session, current.node_id)
        tz = profile["timezone"]
        if error is None:
            start, end = filters.get("start"), filters.get("end")
            rows = published.events_between(
                session,
                current.node_id,
                formatting.local_day_start(start, tz) if start else now,
                formatting.local_day_end(end, tz) if end else None,
                tag=filters.get("tag"),
                limit=LIST_EVENTS,
                cohosted=True,
            )
            cards = hosted_cards(session, current, rows, now)
    # The events we co-host are described by their author's pages, where they take place.
    doc = jsonld.graph([_event_jsonld(c, profile, with_context=False) for c in cards if not c.host])
    return render(
        "events.html",
        status=400 if error else 200,
        profile=profile,
        events=cards,
        filters=raw,
        filtered=any(raw.values()),
        error=error,
        jsonld=jsonld.script_tag(doc),
        canonical=absolute_url("pages.event_list"),
    )


@bp.get("/events/<event_id>")
def event(event_id: str) -> tuple[str, int]:
    """One event (also after it ended or was cancelled); unknown ids get the 404 page."""
    current, now = node(), _now()
    with current.db.read() as session:
        profile = space.get_profile(session, current.node_id)
        row = events.get_event(session, current.node_id, event_id)
        card = _card(row, now)
        cohosts = card.body.get("cohosts", [])
        names = published.space_names(session, cohosts)
        # Our own page: every space we named, the ones yet to confirm marked as such.
        confirmed = set(published.confirmed_cohosts(session, [row])[(row.origin, row.id)])
    return render(
        "event.html",
        profile=profile,
        event=card,
        price=formatting.format_money(card.body.get("price_minor"), card.body.get("currency")),
        cohosts=[(c, names.get(c), c in confirmed) for c in cohosts],
        jsonld=jsonld.script_tag(_event_jsonld(card, profile)),
        canonical=absolute_url("pages.event", event_id=event_id),
        preview=sharing.event_preview(
            card.title,
            card.when,
            profile,
            card.body.get("description") or "",
            absolute_url("pages.event", event_id=event_id),
            card.cancelled,
        ),
    )
