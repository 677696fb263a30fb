"""The space's events as iCalendar (RFC 5545): ``/events.ics`` to subscribe to, and one file
per event for "add to my calendar".

Each event keeps one UID for its whole life (event id @ node fingerprint: the fingerprint follows
the node id, which survives key rotation and a change of URL), and its SEQUENCE is the feed seq of
its latest change, so every edit or cancellation makes calendar apps replace what they hold.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, date, datetime, timedelta
from typing import Any

from flask import Blueprint, Response, request
from icalendar import Calendar, Timezone, vCalAddress, vText
from icalendar import Event as VEvent
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response as BaseResponse

from federation.keys import fingerprint
from node import published
from node.http.context import node
from node.http.marks import public_read
from node.lru import LRU
from node.models import Event
from node.runtime import Node
from node.services import events, network, space
from node.version import __version__
from node.web.formatting import event_instant
from node.web.rendering import absolute_url

bp = public_read(Blueprint("calendar", __name__))

ICS_MIMETYPE = "text/calendar"
PRODID = f"-//Spazi//Spazi node {__version__}//EN"
# Subscribers also see events of the recent past; older ones drop out of the file.
PAST_DAYS = 90
MAX_EVENTS = 1000
REFRESH = timedelta(hours=1)  # how often subscribers should fetch again


def event_uid(node_id: str, event_id: str) -> str:
    """The iCalendar UID of an event: the same across every edit and cancellation."""
    return f"{event_id}@{fingerprint(node_id).lower()}.spazi"


def location_text(profile: Mapping[str, Any]) -> str:
    """A space as a calendar LOCATION: its name, address, city and country."""
    parts = [profile.get(k) for k in ("name", "address", "city", "country")]
    return ", ".join(str(p) for p in parts if p)


def vevent(row: Event, profile: Mapping[str, Any], page_url: str) -> VEvent:
    """One event of any origin as a VEVENT; its UID is the one its own node's calendar uses."""
    body = row.body
    tz = body["timezone"]
    item = VEvent()
    item.add("uid", event_uid(row.origin, row.id))
    # The time of the change this version reflects, so an unchanged event serialises the same.
    item.add("dtstamp", datetime.fromtimestamp(row.ts // 1000, UTC))
    item.add("last-modified", datetime.fromtimestamp(row.ts // 1000, UTC))
    item.add("dtstart", event_instant(body["start"], tz))
    item.add("dtend", event_instant(body["end"], tz))
    item.add("summary", ("Cancelled: " if row.cancelled else "") + body["title"])
    text = [t for t in (row.cancel_reason if row.cancelled else None, body.get("description")) if t]
    if page_url:
        text.append(page_url)  # many calendar apps ignore URL, so the link also ends the text
        item.add("url", page_url)
    if text:
        item.add("description", "\n\n".join(text))
    if profile:
        item.add("location", location_text(profile))
        if profile.get("latitude_e6") is not None and profile.get("longitude_e6") is not None:
            item.add("geo", (profile["latitude_e6"] / 1e6, profile["longitude_e6"] / 1e6))
    if body.get("tags"):
        item.add("categories", list(body["tags"]))
    item.add("sequence", row.seq)
    item.add("status", "CANCELLED" if row.cancelled else "CONFIRMED")
    contact = profile.get("contact") or {}
    if contact.get("email"):
        organizer = vCalAddress(f"mailto:{contact['email']}")
        organizer.params["cn"] = vText(str(profile["name"]))
        item.add("organizer", organizer)
    return item


def calendar_document(
    name: str, timezone: str, items: Iterable[tuple[Event, Mapping[str, Any], str]]
) -> Calendar:
    """A VCALENDAR of (event, its space's profile, its page URL) with every VTIMEZONE used."""
    cal = _head(name, timezone)
    years: list[int] = []
    for row, profile, page_url in items:
        cal.add_component(vevent(row, profile, page_url))
        years += [int(row.body["start"][:4]), int(row.body["end"][:4])]
    if years:
        # Whole years around the events: the time-zone rules cover every event, and the output
        # does not change each time an event is added within the same years.
        cal.add_missing_timezones(
            first_date=date(min(years), 1, 1), last_date=date(max(years) + 1, 1, 1)
        )
    return cal


def _head(name: str, timezone: str) -> Calendar:
    """The VCALENDAR's own properties, without components."""
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    # icalendar escapes only the TEXT properties it knows; NAME (RFC 7986) and the X- ones it
    # would write as given, so a comma, semicolon, backslash or line break in a space's name
    # would break the file. vText escapes them (RFC 5545 §3.3.11).
    cal.add("x-wr-calname", vText(name))
    cal.add("name", vText(name))
    cal.add("x-wr-timezone", vText(timezone))
    cal.add("refresh-interval", REFRESH, parameters={"VALUE": "DURATION"})
    cal.add("x-published-ttl", "PT1H")  # the older spelling of REFRESH-INTERVAL
    return cal


# Serialised VEVENTs and VTIMEZONEs, kept between requests (least recently used out).
# icalendar takes about 0.4 ms to build and fold one VEVENT, so a calendar of a thousand events
# cost half a second on every poll. An event's VEVENT depends only on its stored version
# (origin, id, seq, time, cancellation), its space's profile version and its page URL, which
# make the key: a changed event, profile or address is a new key, never a stale text
# (ARCHITECTURE.md §Network pages).
# Room for the network calendar and the space's own at their caps, with their filtered copies.
_VEVENTS: LRU[tuple[bytes, frozenset[str], tuple[int, int]]] = LRU(4 * MAX_EVENTS)
_ZONES: LRU[bytes] = LRU(64)


def _vevent_key(row: Event, page_url: str, profile_version: Any) -> tuple[Any, ...]:
    return (row.origin, row.id, row.seq, row.ts, row.cancelled, page_url, profile_version)


def uncached(items: Iterable[tuple[Event, Any, str, Any]]) -> list[Event]:
    """The events of :func:`calendar_text` items whose VEVENT is not cached: the caller loads
    their bodies and profiles in one statement each, not one per event."""
    return [
        row
        for row, _, url, version in items
        if _VEVENTS.get(_vevent_key(row, url, version)) is None
    ]


def _vevent_text(
    row: Event, profile: Callable[[], Mapping[str, Any]], page_url: str, profile_version: Any
) -> tuple[bytes, frozenset[str], tuple[int, int]]:
    """A VEVENT's iCalendar text, the TZIDs it uses and the years of its start and end, from
    the cache when it holds them (``profile`` and the row's body are read on a miss only)."""
    key = _vevent_key(row, page_url, profile_version)
    found = _VEVENTS.get(key)
    if found is None:
        holder = Calendar()
        holder.add_component(vevent(row, profile(), page_url))
        text = holder.subcomponents[0].to_ical()
        years = (int(row.body["start"][:4]), int(row.body["end"][:4]))
        found = (text, frozenset(holder.get_used_tzids() - {"UTC"}), years)
        _VEVENTS.put(key, found)
    return found


def _vtimezone_text(tzid: str, first: date, last: date) -> bytes:
    found = _ZONES.get((tzid, first, last))
    if found is None:
        try:
            found = Timezone.from_tzid(tzid, first_date=first, last_date=last).to_ical()
        except ValueError:  # a zone icalendar does not know is left out, as before
            found = b""
        _ZONES.put((tzid, first, last), found)
    return found


def calendar_text(
    name: str,
    timezone: str,
    items: Iterable[tuple[Event, Callable[[], Mapping[str, Any]], str, Any]],
) -> bytes:
    """:func:`calendar_document` as iCalendar text, each VEVENT and VTIMEZONE serialised once
    and reused while unchanged. ``items`` are (event, a function giving its space's profile, its
    page URL, the profile's version: anything that changes when the profile does, such as its
    seq)."""
    head = _head(name, timezone)
    events: list[bytes] = []
    tzids: set[str] = set()
    years: list[int] = []
    for row, profile, page_url, version in items:
        text, used, spans = _vevent_text(row, profile, page_url, version)
        events.append(text)
        tzids |= used
        years += spans
    zones: list[bytes] = []
    if years:
        first, last = date(min(years), 1, 1), date(max(years) + 1, 1, 1)
        zones = [_vtimezone_text(tzid, first, last) for tzid in sorted(tzids)]
    document = head.to_ical()
    end = b"END:VCALENDAR\r\n"
    # The time zones first, then the events, as add_missing_timezones orders them; sorted, so
    # every process writes the same bytes (and the same ETag).
    return b"".join([document.removesuffix(end), *zones, *events, end])


def build_calendar(node_id: str, profile: dict[str, Any], rows: Iterable[Event]) -> Calendar:
    """The space's own calendar: its events, each linking to its page here."""
    del node_id  # each row carries its origin, which is ours
    items = ((row, profile, absolute_url("pages.event", event_id=row.id)) for row in rows)
    return calendar_document(f"{profile['name']}: events", str(profile["timezone"]), items)


def hosted_items(
    session: Session, current: Node, profile: dict[str, Any], rows: Iterable[Event]
) -> list[tuple[Event, Mapping[str, Any], str]]:
    """The space's events with ``published.events_between(..., cohosted=True)``: ours at our
    place and page; the ones we co-host at their author's place, linking to its node's page,
    with the UID its own calendar gives them (so a subscriber of both sees each once)."""
    rows = list(rows)
    others = {row.origin for row in rows if row.origin != current.node_id}
    profiles = published.spaces(session, others)
    urls = network.node_urls(session, current, others)
    items: list[tuple[Event, Mapping[str, Any], str]] = []
    for row in rows:
        if row.origin == current.node_id:
            items.append((row, profile, absolute_url("pages.event", event_id=row.id)))
            continue
        stored = profiles.get(row.origin)
        page = network.event_page(urls.get(row.origin, ""), row.id)
        items.append((row, dict(stored.profile) if stored is not None else {}, page))
    return items


def ics_response(cal: Calendar | bytes, filename: str | None = None) -> BaseResponse:
    data = cal if isinstance(cal, bytes) else cal.to_ical()
    response = Response(data, mimetype=ICS_MIMETYPE)
    response.headers["Content-Type"] = f"{ICS_MIMETYPE}; charset=utf-8"
    if filename:
        response.headers["Content-Disposition"] = f'inline; filename="{filename}"'
    response.add_etag()
    return response.make_conditional(request)


@bp.get("/events.ics")
def events_ics() -> BaseResponse:
    """Every event of the space from the recent past on, cancelled ones marked CANCELLED, with
    the events it co-hosts (protocol.md §Published state)."""
    current = node()
    since = datetime.fromtimestamp(current.now_ms() / 1000, UTC) - timedelta(days=PAST_DAYS)
    with current.db.read() as session:
        profile = space.get_profile(session, current.node_id)
        rows = published.events_between(
            session, current.node_id, since, limit=MAX_EVENTS, cohosted=True
        )
        items = hosted_items(session, current, profile, rows)
        cal = calendar_document(f"{profile['name']}: events", str(profile["timezone"]), items)
    return ics_response(cal)


@bp.get("/events/<event_id>/calendar.ics")
def event_ics(event_id: str) -> BaseResponse:
    """One event as a calendar file (same UID as in the subscription, so they never double)."""
    current = node()
    with current.db.read() as session:
        profile = space.get_profile(session, current.node_id)
        row = events.get_event(session, current.node_id, event_id)
        cal = build_calendar(current.node_id, profile, [row])
    return ics_response(cal, f"{row.id}.ics")
