"""The network as people see it: every known space and the events across it, with where each
came from (origin node) and how fresh our copy is."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from urllib.parse import quote

from sqlalchemy import select
from sqlalchemy.orm import Session

from federation.keys import fingerprint
from node import published
from node.clock import aware, ms_to_dt, utc_text
from node.models import Event, Peer, Space
from node.runtime import Node
from node.services.events import event_view


def node_url(session: Session, node: Node, origin: str) -> str | None:
    """Best known address of ``origin``: ourselves, a direct peer, or an announcement."""
    if origin == node.node_id:
        return node.url
    return published.peer_or_announced_url(session, origin)


def node_urls(session: Session, node: Node, origins: Collection[str]) -> dict[str, str]:
    """:func:`node_url` of many origins in two queries (a network page lists hundreds)."""
    wanted = set(origins)
    urls = {node.node_id: node.url} if node.node_id in wanted and node.url else {}
    rest = wanted - set(urls)
    if rest:
        urls.update(published.addresses(session, rest))
        peers = session.execute(select(Peer.id, Peer.url).where(Peer.id.in_(rest)))
        urls.update({origin: url for origin, url in peers if url})  # a direct peer wins
    return urls


def event_page(base: str, event_id: str) -> str:
    """The page of event ``event_id`` on the node at ``base`` ("" when its address is unknown)."""
    return f"{base}/events/{quote(event_id, safe='')}" if base else ""


def list_spaces(
    session: Session,
    node: Node,
    city: str | None = None,
    country: str | None = None,
    after: tuple[str, str] | None = None,
    limit: int | None = None,
    district: str | None = None,
) -> list[dict[str, Any]]:
    """Every space whose profile we hold, ours first, then by name, with origin and freshness.

    With ``limit``, one keyset page: at most ``limit`` spaces besides ours, starting after
    ``after`` (see :func:`space_key`); ours leads the first page only.
    """
    found = []
    if after is None:
        # Ours alone, by its key: reading every visible space to pick it out cost a whole
        # network's rows on each first page (ARCHITECTURE.md §Network pages).
        found = published.visible_spaces(
            session, city, country, district=district, only=node.node_id
        )
    found += published.visible_spaces(
        session,
        city,
        country,
        after=after,
        limit=limit,
        leave_out=node.node_id,
        district=district,
    )
    urls = node_urls(session, node, [space.origin for space, _ in found])
    return [
        {
            "name": space.name,
            "city": space.city or "",
            "district": space.profile.get("district", ""),
            "country": space.country or "",
            "amenities": space.profile.get("amenities", []),
            "url": urls.get(space.origin, ""),
            "origin": space.origin,
            "fingerprint": fingerprint(space.origin),
            "is_self": origin.is_self,
            "profile_updated": utc_text(ms_to_dt(space.ts)),
            "updated": utc_text(origin.updated),
        }
        for space, origin in found
    ]


def space_key(row: Mapping[str, Any]) -> tuple[str, str]:
    """Where a page of :func:`list_spaces` that ends with ``row`` resumes."""
    return (str(row["name"]).lower(), str(row["origin"]))


@dataclass(frozen=True)
class NetworkEventRow:
    """One event of :func:`event_items`: its stored row, its space's profile row (None when
    unknown) and the view the pages and the CLI print."""

    event: Event
    space: Space | None
    view: dict[str, Any]


def event_rows(
    session: Session,
    node: Node,
    start: date | None = None,
    end: date | None = None,
    tag: str | None = None,
    city: str | None = None,
    include_cancelled: bool = True,
    after: tuple[datetime, str, str] | None = None,
    limit: int = 500,
    district: str | None = None,
) -> list[dict[str, Any]]:
    """Events across every origin we hold, each with its space and origin, soonest first; at
    most ``limit``, starting after the event whose :func:`event_key` is ``after``."""
    found = event_items(
        session, node, start, end, tag, city, include_cancelled, after, limit, district
    )
    return [item.view for item in found]


def event_items(
    session: Session,
    node: Node,
    start: date | None = None,
    end: date | None = None,
    tag: str | None = None,
    city: str | None = None,
    include_cancelled: bool = True,
    after: tuple[datetime, str, str] | None = None,
    limit: int = 500,
    district: str | None = None,
) -> list[NetworkEventRow]:
    """:func:`event_rows` with each event's stored row and space: a page's structured data
    and calendar read them from here instead of loading them again (ARCHITECTURE.md §Network
    pages)."""
    # Hidden origins (blocked, quarantined, muted) are left out as list_spaces leaves them out.
    found = published.query_events(
        session,
        None,
        start,
        end,
        tag,
        city,
        include_cancelled,
        limit=limit,
        visible_only=True,
        after=after,
        district=district,
    )
    names = published.spaces(session, {event.origin for event in found})
    urls = node_urls(session, node, names.keys() | {event.origin for event in found})
    # Only the co-hosts that confirmed (protocol.md §Published state), on every node.
    cohosts = published.confirmed_cohosts(session, found)
    cohost_names = published.space_names(session, {c for ids in cohosts.values() for c in ids})
    rows = []
    for event in found:
        view = event_view(event)
        confirmed = cohosts[(event.origin, event.id)]
        view["cohosts"] = confirmed
        view["with"] = ", ".join(cohost_names.get(c, c) for c in confirmed)
        space = names.get(event.origin)
        view["space"] = space.name if space else event.origin
        view["city"] = (space.city or "") if space else ""
        view["district"] = space.profile.get("district", "") if space else ""
        view["space_url"] = urls.get(event.origin, "")
        view["status"] = "CANCELLED" if event.cancelled else ""
        view["published"] = utc_text(ms_to_dt(event.ts))
        rows.append(NetworkEventRow(event, space, view))
    return rows


def event_key(event: Event) -> tuple[datetime, str, str]:
    """Where a page of :func:`event_items` that ends with ``event`` resumes."""
    return (aware(event.start_utc), event.origin, event.id)


@dataclass
class PlaceGroup:
    """A city or one of its districts on the network page, with what it holds (the events:
    upcoming, not cancelled)."""

    name: str
    spaces: int = 0
    events: int = 0
    districts: list[PlaceGroup] = field(default_factory=list)


def place_groups(
    session: Session, now: datetime, city: str | None = None, country: str | None = None
) -> tuple[list[PlaceGroup], datetime | None]:
    """The visible spaces by city, then district, with counts, in two statements whatever
    the network's size (ARCHITECTURE.md §Network pages). Cities by name regardless of case,
    the spaces that name no city last (name ""); each city's districts by name, leaving out
    "" (its spaces count in the city only). Also when the first counted event ends, until
    which the counts hold if the network does not change (None: no upcoming event)."""
    cities: dict[str, PlaceGroup] = {}
    districts: dict[tuple[str, str], PlaceGroup] = {}

    def group(city_name: str, district_name: str) -> tuple[PlaceGroup, PlaceGroup | None]:
        key = city_name.lower()
        parent = cities.setdefault(key, PlaceGroup(city_name))
        if not district_name:
            return parent, None
        child = districts.get((key, district_name.lower()))
        if child is None:
            child = districts[key, district_name.lower()] = PlaceGroup(district_name)
            parent.districts.append(child)
        return parent, child

    for city_name, district_name, count in published.space_groups(session, city, country):
        for found in group(city_name, district_name):
            if found is not None:
                found.spaces += count
    until: datetime | None = None
    for city_name, district_name, count, first_end in published.event_groups(
        session, now, city, country
    ):
        until = first_end if until is None else min(until, first_end)
        for found in group(city_name, district_name):
            if found is not None:
                found.events += count
    for parent in cities.values():
        parent.districts.sort(key=lambda g: g.name.lower())
    return sorted(cities.values(), key=lambda g: (g.name == "", g.name.lower())), until
