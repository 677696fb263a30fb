"""The network for people: every known space, the events across the network and a calendar of
them. Each item says which node published it (origin) and how fresh our copy is.

Mirrored spaces and events live in the same tables as our own, keyed by origin, so these pages
read them through :mod:`node.services.network`, as ``spazi network spaces|events`` does.
A mirrored event has its page on its own node, so links and calendar URLs point there.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from urllib.parse import quote, urlencode

from flask import Blueprint, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from markupsafe import Markup
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response as BaseResponse

from federation.keys import fingerprint
from node import paging, published
from node.clock import utc_text
from node.errors import InvalidInput
from node.http.context import node
from node.http.marks import public_read, remembered
from node.lru import LRU
from node.messages import N_
from node.models import Event, Origin, Space
from node.services import events, network, space
from node.web import calendar, conditional, formatting, jsonld, spacemap
from node.web.error_pages import error_page
from node.web.formatting import ago
from node.web.rendering import absolute_url, render

bp = remembered(Blueprint("network_pages", __name__, url_prefix="/network"))

SPACE_FILTERS = ("city", "district", "country")
EVENT_FILTERS = ("from", "to", "tag", "city", "district")
MAX_CITY = 100
MAX_DISTRICT = 100
MAX_GROUPS = 30  # cities listed on /network; the others are reached with the city filter


# -- spaces -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SpaceCard:
    """What the network page shows of one space."""

    name: str
    city: str
    district: str
    country: str
    amenities: list[str]
    url: str
    origin: str
    fingerprint: str
    is_self: bool
    updated: str
    updated_ago: str
    profile_ago: str


def _space_filters(raw: Mapping[str, str]) -> str | None:
    """The problem with the spaces filters, or None when they can be used."""
    problems = []
    if len(raw["city"]) > MAX_CITY:
        problems.append(f"city: at most {MAX_CITY} characters")
    if len(raw["district"]) > MAX_DISTRICT:
        problems.append(f"district: at most {MAX_DISTRICT} characters")
    country = raw["country"]
    if country and not (len(country) == 2 and country.isascii() and country.isalpha()):
        problems.append("country: a two-letter country code, such as IT")
    return "; ".join(problems) or None


def _place(stored: Space | None, row: Mapping[str, Any]) -> dict[str, Any] | None:
    """The space as a schema.org ``Place`` in short (None if its profile is gone): name,
    address and coordinates; its own page carries the whole ``Place``. The list stays within a
    phone's first screen at a full page of spaces (ARCHITECTURE.md §Network pages)."""
    if stored is None:
        return None
    doc = jsonld.place_ref(dict(stored.profile), row["url"])
    if not row["url"]:
        # No known address: an "@id" or "url" made of a bare "/" would point at this node.
        doc.pop("@id", None)
        doc.pop("url", None)
    return doc


def _space_cursor(args: Mapping[str, str]) -> tuple[str, str] | None:
    key = paging.decode_cursor(args.get("after", ""), 2)
    return (key[0], key[1]) if key is not None else None


# What werkzeug's url_for leaves unescaped in a query, so these links read as url_for's did.
_QUERY_SAFE = "!$'()*,/:;?@"


def _group_link(country: str) -> Callable[..., str]:
    """The link of a group on /network: its city and district, the country kept. The path is
    built once and each query encoded directly: a page lists a couple of hundred groups, and
    url_for for each was a third of the page's time (ARCHITECTURE.md §Network pages)."""
    base = url_for("network_pages.spaces")

    def link(city: str, district: str = "") -> str:
        found = {"city": city, "district": district, "country": country}
        return base + "?" + urlencode({k: v for k, v in found.items() if v}, safe=_QUERY_SAFE)

    return link


@bp.get("")
def spaces() -> tuple[str, int]:
    """Every space known to this node, ours first, with ?city=, ?district= and ?country=
    filters, a page of :data:`paging.PAGE_SIZE` at a time (?after= from the "next page" link);
    the first page also groups the spaces by city and district, and a map shows the page's
    spaces (ARCHITECTURE.md §Network pages)."""
    current = node()
    now = current.now()
    raw = {k: request.args.get(k, "").strip() for k in SPACE_FILTERS}
    error = _space_filters(raw)
    after = None
    if error is None:
        try:
            after = _space_cursor(request.args)
        except InvalidInput as exc:
            error = exc.detail
    cards: list[SpaceCard] = []
    places: list[dict[str, Any]] = []
    located: list[dict[str, Any]] = []
    groups_html = Markup("")
    next_page = None
    if error is None:
        with current.db.read() as session:
            rows = network.list_spaces(
                session,
                current,
                city=raw["city"] or None,
                district=raw["district"] or None,
                country=raw["country"] or None,
                after=after,
                limit=paging.PAGE_SIZE + 1,
            )
            others = [row for row in rows if not row["is_self"]]
            if len(others) > paging.PAGE_SIZE:
                rows = rows[:-1]
                next_page = paging.next_query(raw, network.space_key(rows[-1]))
            profiles = published.spaces(session, [row["origin"] for row in rows])
            if after is None:
                groups_html = _groups_html(session, now, raw)
            for row in rows:
                cards.append(
                    SpaceCard(
                        name=row["name"],
                        city=row["city"],
                        district=row["district"],
                        country=row["country"],
                        amenities=list(row["amenities"]),
                        url=row["url"],
                        origin=row["origin"],
                        fingerprint=row["fingerprint"],
                        is_self=row["is_self"],
                        updated=row["updated"],
                        updated_ago=ago(row["updated"], now),
                        profile_ago=ago(row["profile_updated"], now),
                    )
                )
                stored = profiles.get(row["origin"])
                place = _place(stored, row)
                if place is not None:
                    places.append(place)
                if stored is not None:
                    located.append(_map_entry(stored.profile, row))
    doc = {
        "@context": jsonld.CONTEXT,
        "@type": "ItemList",
        "name": "Spaces in the Spazi network",
        "numberOfItems": len(places),
        "itemListElement": [
            {"@type": "ListItem", "position": number, "item": place}
            for number, place in enumerate(places, start=1)
        ],
    }
    return render(
        "network/spaces.html",
        status=400 if error else 200,
        spaces=cards,
        next_page=next_page,
        first_page=after is not None,
        first_query={k: v for k, v in raw.items() if v},
        filters=raw,
        filtered=any(raw.values()),
        error=error,
        groups_html=groups_html,
        space_map=spacemap.fit(located),
        jsonld=jsonld.script_tag(doc),
        canonical=absolute_url("network_pages.spaces"),
    )


# The groups of /network's first page, rendered, by (network version, city, country, language),
# with the end of the first event they count: counting the events of every space is most of
# that page's database time at a thousand spaces, and writing a couple of hundred translated
# counts most of its rendering; both change only with the network, when an event ends, or
# with the language (ARCHITECTURE.md §Network pages).
_GROUPS: LRU[tuple[Markup, datetime | None]] = LRU(64)


def _groups_html(session: Session, now: datetime, raw: Mapping[str, str]) -> Markup:
    city, country = raw["city"], raw["country"]
    key = (conditional.network_version(), city.lower(), country, str(get_locale()))
    found = _GROUPS.get(key)
    if found is None or (found[1] is not None and now >= found[1]):
        groups, until = network.place_groups(
            session, now, city=city or None, country=country or None
        )
        shown = _top_groups(groups)
        html = render_template(
            "network/_groups.html",
            groups=shown,
            more_groups=len(groups) - len(shown),
            group_link=_group_link(country),
            filters=raw,
        )
        found = (Markup(html), until)  # noqa: S704 - an autoescaped template's output
        _GROUPS.put(key, found)
    return found[0]


def _top_groups(groups: list[network.PlaceGroup]) -> list[network.PlaceGroup]:
    """At most :data:`MAX_GROUPS` of ``groups``: those with most spaces, in their order."""
    if len(groups) <= MAX_GROUPS:
        return groups
    kept = {id(g) for g in sorted(groups, key=lambda g: -g.spaces)[:MAX_GROUPS]}
    return [g for g in groups if id(g) in kept]


def _map_entry(profile: Mapping[str, Any], row: Mapping[str, Any]) -> dict[str, Any]:
    """What :func:`spacemap.fit` needs of a listed space."""
    place = ", ".join(p for p in (profile.get("district"), row["city"]) if p)
    return {
        "name": row["name"],
        "place": place,
        "url": row["url"],
        "latitude_e6": profile.get("latitude_e6"),
        "longitude_e6": profile.get("longitude_e6"),
    }


# -- events -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class NetworkEvent:
    """What the network events page shows of one event."""

    id: str
    title: str
    when: str
    start_iso: str
    timezone: str
    cancelled: bool
    cancel_reason: str | None
    tags: list[str]
    space: str
    city: str
    space_url: str
    page_url: str
    origin: str
    fingerprint: str
    is_self: bool
    published_ago: str
    synced_ago: str
    cohosts: str = ""  # the spaces that confirmed co-hosting it, by name


def parse_event_filters(args: Mapping[str, str]) -> tuple[dict[str, str], dict[str, Any]]:
    """The filters as typed and as checked by ``services.events.parse_query``.

    Raises :class:`InvalidInput` with a message for people when a filter cannot be used.
    """
    raw = {k: (args.get(k) or "").strip() for k in EVENT_FILTERS}
    filters = events.parse_query(raw)
    start, end = filters.get("start"), filters.get("end")
    if start is not None and end is not None and start > end:
        raise InvalidInput(N_("from: the first day is after the last one (to)"))
    return raw, filters


def event_page_url(origin: str, event_id: str, space_url: str) -> str:
    """Where people read an event: our page for ours, its own node's page for the others."""
    if origin == node().node_id:
        return absolute_url("pages.event", event_id=event_id)
    return f"{space_url}/events/{quote(event_id, safe='')}" if space_url else ""


def _network_events(
    session: Session, filters: Mapping[str, Any], start: date, limit: int
) -> list[Event]:
    """The visible events for the filters from ``start``, at most ``limit``, their bodies
    unread until used (the calendar's cached VEVENTs need only their versions)."""
    return published.query_events(
        session,
        None,
        start,
        filters.get("end"),
        filters.get("tag"),
        filters.get("city"),
        limit=limit,
        visible_only=True,
        district=filters.get("district"),
        light=True,
    )


def _event_card(view: Mapping[str, Any], synced: Mapping[str, str], now: datetime) -> NetworkEvent:
    origin = view["origin"]
    return NetworkEvent(
        id=view["id"],
        title=view["title"],
        when=formatting.format_span(view["start"], view["end"]),
        start_iso=formatting.iso_with_offset(view["start"], view["timezone"]),
        timezone=view["timezone"],
        cancelled=bool(view["cancelled"]),
        cancel_reason=view.get("cancel_reason"),
        tags=list(view.get("tags", [])),
        space=view["space"],
        city=view["city"],
        space_url=view["space_url"],
        page_url=event_page_url(origin, view["id"], view["space_url"]),
        origin=origin,
        fingerprint=fingerprint(origin),
        is_self=origin == node().node_id,
        published_ago=ago(view["published"], now),
        synced_ago=ago(synced.get(origin), now) if origin in synced else "",
        cohosts=view.get("with", ""),
    )


def _synced(session: Session, origins: Collection[str]) -> dict[str, str]:
    """When our copy of each origin last changed, as the pages print it."""
    if not origins:
        return {}
    rows = session.execute(select(Origin.id, Origin.updated).where(Origin.id.in_(origins)))
    return {origin: utc_text(updated) for origin, updated in rows}


def _event_jsonld(
    row: Event | None, stored: Space | None, card: NetworkEvent
) -> dict[str, Any] | None:
    if stored is None or row is None or not card.page_url or not card.space_url:
        return None  # no profile or no address to name as its place and page
    return jsonld.event(
        row.body,
        cancelled=card.cancelled,
        page_url=card.page_url,
        profile=dict(stored.profile),
        space_url=card.space_url,
        with_context=False,
    )


def our_today(session: Session) -> date:
    """Today at our space (its time zone): where the network's events lists begin."""
    current = node()
    timezone = space.get_profile(session, current.node_id)["timezone"]
    return formatting.local_today(timezone, current.now_ms())


@bp.get("/events")
def network_events() -> tuple[str, int]:
    """Events across the network from today on (or the ?from= day), with ?city= ?tag= ?to=,
    a page of :data:`paging.PAGE_SIZE` at a time (?after= from the "next page" link)."""
    current = node()
    now = current.now()
    error = None
    after = None
    try:
        raw, filters = parse_event_filters(request.args)
        after = paging.event_cursor(request.args.get("after", ""))
    except InvalidInput as exc:
        raw = {k: request.args.get(k, "").strip() for k in EVENT_FILTERS}
        filters, error = {}, exc.detail
    cards: list[NetworkEvent] = []
    items: list[dict[str, Any]] = []
    next_page = None
    if error is None:
        with current.db.read() as session:
            found = network.event_items(
                session,
                current,
                start=filters.get("start") or our_today(session),
                end=filters.get("end"),
                tag=filters.get("tag"),
                city=filters.get("city"),
                district=filters.get("district"),
                after=after,
                limit=paging.PAGE_SIZE + 1,
            )
            if len(found) > paging.PAGE_SIZE:
                found = found[: paging.PAGE_SIZE]
                key = network.event_key(found[-1].event)
                next_page = paging.next_query(raw, (key[0].isoformat(), key[1], key[2]))
            synced = _synced(session, {item.event.origin for item in found})
            for item in found:
                card = _event_card(item.view, synced, now)
                cards.append(card)
                jsonld_item = _event_jsonld(item.event, item.space, card)
                if jsonld_item is not None:
                    items.append(jsonld_item)
    doc = jsonld.graph(items)
    return render(
        "network/events.html",
        status=400 if error else 200,
        events=cards,
        next_page=next_page,
        first_page=after is not None,
        first_query={k: v for k, v in raw.items() if v},
        filters=raw,
        filtered=any(raw.values()),
        error=error,
        ics_query={k: v for k, v in raw.items() if v},
        jsonld=jsonld.script_tag(doc),
        canonical=absolute_url("network_pages.network_events"),
    )


# -- calendar -------------------------------------------------------------------------------------
# The VEVENTs come from node.web.calendar: each links to its own node's page and carries the UID
# that node's calendar uses, so subscribers of both never see an event twice.


@bp.get("/events.ics")
@public_read
def network_events_ics() -> BaseResponse:
    """The network events page's events (same filters) as iCalendar, at most
    ``calendar.MAX_EVENTS``, soonest first. Without ?from= it holds the upcoming events, and
    events of the last ``calendar.PAST_DAYS`` days while there is room: at a thousand spaces the
    recent past alone would fill the file (ARCHITECTURE.md §Network pages)."""
    current = node()
    try:
        _query, filters = parse_event_filters(request.args)
    except InvalidInput as exc:
        return error_page(400, _("These filters cannot be used"), exc.detail, exc.detail)
    cap = calendar.MAX_EVENTS
    with current.db.read() as session:
        ours = space.get_profile(session, current.node_id)
        if filters.get("start"):
            found = _network_events(session, filters, filters["start"], cap)
        else:
            today = our_today(session)
            found = _network_events(session, filters, today, cap)
            if len(found) < cap:
                since = today - timedelta(days=calendar.PAST_DAYS)
                yesterday = today - timedelta(days=1)
                before = {**filters, "end": min(filters.get("end") or yesterday, yesterday)}
                shown = {(row.origin, row.id) for row in found}
                past = _network_events(session, before, since, cap - len(found))
                found = [row for row in past if (row.origin, row.id) not in shown] + found
        origins = {row.origin for row in found}
        profiles = published.spaces(session, origins, light=True)
        urls = network.node_urls(session, current, origins)
        items = [
            (
                row,
                _profile_of(profiles.get(row.origin)),
                event_page_url(row.origin, row.id, urls.get(row.origin, "")),
                (row.origin, profiles[row.origin].seq) if row.origin in profiles else None,
            )
            for row in found
        ]
        # Bodies and profiles of the events not cached yet, in one statement each: the rows
        # above were read without them.
        missing = calendar.uncached(items)
        published.events_by_key(session, [(row.origin, row.id) for row in missing])
        published.spaces(session, {row.origin for row in missing})
        data = calendar.calendar_text(f"{ours['name']}: network events", ours["timezone"], items)
    return calendar.ics_response(data)


def _profile_of(stored: Space | None) -> Callable[[], Mapping[str, Any]]:
    """The profile of ``stored`` when asked (read from the database on a cache miss only)."""
    return lambda: dict(stored.profile) if stored is not None else {}
