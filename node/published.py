"""Reading published state: the one reader of the tables the projectors write.

Pages, the JSON API, the CLI and the network views read spaces, resources, events (and who
co-hosts them), agreements, revocations and addresses through these functions, never the
tables directly, so what they show is what ``federation.state`` means by a feed
(ARCHITECTURE.md §Invariants).
:func:`network_state` reads the whole cache back in the fold's own shape, which is how a
property test holds the two equal.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import (
    ColumnElement,
    CompoundSelect,
    and_,
    bindparam,
    exists,
    func,
    literal_column,
    or_,
    select,
    tuple_,
    union,
)
from sqlalchemy.orm import Session, defer

from federation.agreements import is_valid
from federation.canonical import parse_strict
from federation.errors import ProtocolError
from federation.keyring import Keyring
from federation.state import Address, NetworkState, PublishedState, Record, Standing
from federation.state import agreement_standing as _standing
from node.clock import aware
from node.feedstore import KEY_PERIODS_VERSION, keyring, keyring_at
from node.models import (
    AgreementPublication,
    AgreementTermination,
    Block,
    CohostConfirmation,
    Event,
    FeedEntry,
    KeyPeriodRow,
    Mute,
    NodeAddress,
    Origin,
    Peer,
    Project,
    Resource,
    Revocation,
    Space,
)
from node.people.models import NetworkPerson

# Statements the front desk runs for every pass, built once: SQLAlchemy spends more time building
# a statement and its cache key than SQLite spends running it (tests/bench/README.md, the desk).
_PROFILE = select(Space.profile).where(Space.origin == bindparam("origin"))
_NAMES = select(Space.origin, Space.name).where(
    Space.origin.in_(bindparam("origins", expanding=True))
)
_REVOKED = select(Revocation.seq).where(
    Revocation.origin == bindparam("origin"), Revocation.jti_hash == bindparam("jti_hash")
)
_ADDRESS = select(NodeAddress.url).where(NodeAddress.node_id == bindparam("node_id"))
# A direct peer's URL, else the announced address, in one round trip: every guest day the desk
# admits asks for its home node's.
_REACH = select(
    func.coalesce(
        select(Peer.url).where(Peer.id == bindparam("node_id")).scalar_subquery(),
        select(NodeAddress.url)
        .where(NodeAddress.node_id == bindparam("node_id"))
        .scalar_subquery(),
    )
)
_PUBLICATIONS_OF = select(AgreementPublication).where(AgreementPublication.id == bindparam("id"))
_REACH_EXPR = _REACH.scalar_subquery()
_TERMINATIONS_OF = select(AgreementTermination).where(
    AgreementTermination.id.in_(bindparam("ids", expanding=True))
)


# Everything the front desk reads before it counts a day, as one statement (one round trip
# where it was seven: on PostgreSQL each costs more than its work, tests/bench/README.md): our
# profile (the time zone), the pass issuer's name, its revocation of the pass, where its node
# is reached (for the visit receipt), the key periods' version (the keyring is rebuilt only
# when it moved) and the agreement's publications, each joined with its terminations.
# Scalar subqueries and outer joins on a one-row anchor: the same SQL on SQLite and PostgreSQL.
_DESK_ANCHOR = select(literal_column("1").label("one")).subquery("desk")
_DESK_READS = select(
    select(Space.profile).where(Space.origin == bindparam("us")).scalar_subquery().label("ours"),
    select(Space.name).where(Space.origin == bindparam("node_id")).scalar_subquery(),
    exists()
    .where(Revocation.origin == bindparam("node_id"), Revocation.jti_hash == bindparam("jti_hash"))
    .label("revoked"),
    _REACH_EXPR.label("url"),
    *KEY_PERIODS_VERSION.c,
    AgreementPublication.origin,
    AgreementPublication.document,
    AgreementPublication.seq,
    AgreementPublication.ts,
    AgreementTermination.origin,
    AgreementTermination.reason,
    AgreementTermination.seq,
    AgreementTermination.ts,
).select_from(
    _DESK_ANCHOR.join(KEY_PERIODS_VERSION, literal_column("1") == literal_column("1"))
    .outerjoin(AgreementPublication, AgreementPublication.id == bindparam("agreement"))
    .outerjoin(AgreementTermination, AgreementTermination.id == AgreementPublication.id)
)
_KEY_VERSION_AT = slice(5, 5 + len(KEY_PERIODS_VERSION.c))


@dataclass(frozen=True)
class DeskReads:
    """What the front desk knows of one pass's issuer and agreement, read at once
    (:func:`desk_reads`)."""

    our_profile: dict[str, Any] | None  # None before we published one
    home_name: str  # "" when we hold no profile of the issuer
    revoked: bool
    home_url: str | None  # a direct peer's URL, else the announced address
    ring: Keyring
    standing: Standing | None  # the agreement, as :func:`agreement` says


def desk_reads(
    session: Session, us: str, issuer: str, jti_hash: str, agreement_id: str
) -> DeskReads:
    """What :func:`profile` (ours), :func:`space_names`, :func:`is_revoked`,
    :func:`peer_or_announced_url`, ``feedstore.keyring`` and :func:`agreement` say for one pass
    of ``issuer`` (``jti_hash``, under ``agreement_id``), in one statement."""
    # On the session's connection (Core): the ORM's execution machinery is not needed for
    # plain columns and costs more CPU than the statement takes on the server.
    rows = (
        session.connection()
        .execute(
            _DESK_READS,
            {"us": us, "node_id": issuer, "jti_hash": jti_hash, "agreement": agreement_id},
        )
        .all()
    )
    first = rows[0]  # the anchor makes one row at least
    ring = keyring_at(session, tuple(first[_KEY_VERSION_AT]))
    net = NetworkState()
    for row in rows:
        pub_origin, document, pub_seq, pub_ts, end_origin, reason, end_seq, end_ts = row[-8:]
        if pub_origin is None:
            continue
        net.of(pub_origin).agreements[agreement_id] = Record(document, pub_seq, pub_ts)
        if end_origin is not None:
            body = {"id": agreement_id, **({"reason": reason} if reason is not None else {})}
            net.of(end_origin).terminations[agreement_id] = Record(
                body, end_seq, end_ts, reason=reason
            )
    standing = _standing(net, lambda doc: _verified(doc, ring)).get(agreement_id)
    ours = first[0]
    return DeskReads(
        our_profile=dict(ours) if ours is not None else None,
        home_name=str(first[1] or ""),
        revoked=bool(first[2]),
        home_url=str(first[3]) if first[3] else None,
        ring=ring,
        standing=standing,
    )


# ---- single records ------------------------------------------------------------------------


def space(session: Session, origin: str) -> Space | None:
    """The profile row of ``origin``, or None if it never published one."""
    return session.get(Space, origin)


def profile(session: Session, origin: str) -> dict[str, Any] | None:
    """The profile body of ``origin`` alone (the front desk reads our time zone from it for
    every pass), or None if it never published one."""
    found = session.scalar(_PROFILE, {"origin": origin})
    return dict(found) if found is not None else None


def resource(session: Session, origin: str, resource_id: str) -> Resource | None:
    """The resource ``resource_id`` of ``origin`` (removed ones too), or None."""
    return session.get(Resource, (origin, resource_id))


def event(session: Session, origin: str, event_id: str) -> Event | None:
    """The event ``event_id`` of ``origin`` (cancelled ones too), or None."""
    return session.get(Event, (origin, event_id))


# ---- lists ---------------------------------------------------------------------------------


def resources(session: Session, origin: str, include_removed: bool = False) -> list[Resource]:
    """Resources of ``origin`` by kind and id; removed ones only when asked."""
    query = select(Resource).where(Resource.origin == origin)
    if not include_removed:
        query = query.where(Resource.removed.is_(False))
    return list(session.scalars(query.order_by(Resource.kind, Resource.id)))


def events_between(
    session: Session,
    origin: str,
    after: datetime,
    before: datetime | None = None,
    tag: str | None = None,
    limit: int = 200,
    cohosted: bool = False,
) -> list[Event]:
    """Events of ``origin`` still running at ``after`` and starting before ``before``, soonest
    first; cancelled ones included (pages mark them). Both bounds are aware UTC datetimes.
    With ``cohosted``, also the events ``origin`` co-hosts (:func:`hosted_by`)."""
    query = select(Event).where(_of(origin, cohosted), Event.end_utc > after)
    if before is not None:
        query = query.where(Event.start_utc < before)
    if tag:
        # Tags are stored as ",a,b," in lower case, the same matching the JSON API uses.
        query = query.where(Event.tags.contains("," + tag.lower() + ",", autoescape=True))
    return list(session.scalars(query.order_by(Event.start_utc, Event.id).limit(limit)))


def recently_changed_events(
    session: Session, origin: str | None, limit: int = 50, cohosted: bool = False
) -> list[Event]:
    """Events of ``origin`` by their last published change, newest first (for the Atom feeds);
    with ``origin`` None, of every origin the network views show (not :func:`hidden_origins`).
    With ``cohosted``, also the events ``origin`` co-hosts (:func:`hosted_by`)."""
    query = select(Event)
    if origin is not None:
        query = query.where(_of(origin, cohosted))
    else:
        query = query.where(Event.origin.not_in(_hidden_ids()))
    query = query.order_by(Event.ts.desc(), Event.origin, Event.seq.desc()).limit(limit)
    return list(session.scalars(query))


# ---- co-hosting ----------------------------------------------------------------------------


def _names(node_id: str) -> str:
    """The ``Event.cohosts`` pattern of an event that names ``node_id``."""
    return "," + node_id + ","


def hosted_by(host: str) -> ColumnElement[bool]:
    """Events shown as ``host``'s (protocol.md §Published state, co-hosts): its own, and the
    events of other origins the network views show that name ``host`` in ``cohosts`` while
    ``host``'s feed confirms them and has not withdrawn. The one place this rule is written
    for queries; pages, calendars and feeds ask for it through ``cohosted=True``."""
    confirmed = select(CohostConfirmation.event_origin, CohostConfirmation.event_id).where(
        CohostConfirmation.origin == host, CohostConfirmation.withdrawn.is_(False)
    )
    return or_(
        Event.origin == host,
        and_(
            tuple_(Event.origin, Event.id).in_(confirmed),
            Event.cohosts.contains(_names(host), autoescape=True),
            Event.origin.not_in(_hidden_ids()),
        ),
    )


def _of(origin: str, cohosted: bool) -> ColumnElement[bool]:
    return hosted_by(origin) if cohosted else Event.origin == origin


def confirmed_cohosts(session: Session, rows: Iterable[Event]) -> dict[tuple[str, str], list[str]]:
    """The co-hosts of each event that confirmed it (``federation.state.confirmed_cohosts``),
    by (origin, id), in the order the event names them; every row has a list, maybe empty."""
    rows = list(rows)
    named = {(row.origin, row.id): list(row.body.get("cohosts", [])) for row in rows}
    wanted = {key for key, cohosts in named.items() if cohosts}
    words: set[tuple[str, str, str]] = set()
    for start in range(0, len(wanted), 500):
        chunk = sorted(wanted)[start : start + 500]
        query = select(
            CohostConfirmation.event_origin,
            CohostConfirmation.event_id,
            CohostConfirmation.origin,
        ).where(
            tuple_(CohostConfirmation.event_origin, CohostConfirmation.event_id).in_(chunk),
            CohostConfirmation.withdrawn.is_(False),
        )
        words.update((a, b, c) for a, b, c in session.execute(query))
    return {
        key: [c for c in cohosts if c != key[0] and (key[0], key[1], c) in words]
        for key, cohosts in named.items()
    }


def cohosting(
    session: Session, cohost: str, origin: str, event_id: str
) -> CohostConfirmation | None:
    """``cohost``'s latest word (confirmation or withdrawal) on ``origin``'s event, or None."""
    return session.get(CohostConfirmation, (cohost, origin, event_id))


def cohostings(session: Session, cohost: str) -> list[CohostConfirmation]:
    """Every word ``cohost``'s feed holds on co-hosting, by event origin and id."""
    query = select(CohostConfirmation).where(CohostConfirmation.origin == cohost)
    order = (CohostConfirmation.event_origin, CohostConfirmation.event_id)
    return list(session.scalars(query.order_by(*order)))


def events_naming(session: Session, cohost: str, after: datetime | None = None) -> list[Event]:
    """Events of origins the network views show (not ``cohost`` itself) that name ``cohost``
    in ``cohosts``, soonest first; with ``after``, only those still running then."""
    query = select(Event).where(
        Event.cohosts.contains(_names(cohost), autoescape=True),
        Event.origin != cohost,
        Event.origin.not_in(_hidden_ids()),
    )
    if after is not None:
        query = query.where(Event.end_utc > after)
    return list(session.scalars(query.order_by(Event.start_utc, Event.origin, Event.id)))


def space_names(session: Session, origins: Iterable[str]) -> dict[str, str]:
    """Names of the spaces we hold a profile for, by origin (unknown origins are left out)."""
    wanted = set(origins)
    if not wanted:
        return {}
    rows = session.execute(_NAMES, {"origins": sorted(wanted)})
    return {origin: name for origin, name in rows}


def events_by_key(
    session: Session, keys: Collection[tuple[str, str]]
) -> dict[tuple[str, str], Event]:
    """Event rows of (origin, id) ``keys`` in one query, by key (missing ones left out)."""
    if not keys:
        return {}
    rows = session.scalars(select(Event).where(tuple_(Event.origin, Event.id).in_(set(keys))))
    return {(row.origin, row.id): row for row in rows}


def spaces(session: Session, origins: Collection[str], light: bool = False) -> dict[str, Space]:
    """Profile rows of ``origins`` that have one, by origin. ``light`` leaves each profile
    unread until it is used (a calendar whose VEVENTs are cached needs only the versions)."""
    if not origins:
        return {}
    query = select(Space).where(Space.origin.in_(set(origins)))
    if light:
        query = query.options(defer(Space.profile))
    return {row.origin: row for row in session.scalars(query)}


def revoked(session: Session, origin: str) -> set[str]:
    """The pass ``jti`` hashes ``origin`` revoked."""
    return set(session.scalars(select(Revocation.jti_hash).where(Revocation.origin == origin)))


def is_revoked(session: Session, origin: str, jti_hash: str) -> bool:
    """Whether ``origin``'s own feed revoked the pass with this jti hash (one indexed row)."""
    return session.scalar(_REVOKED, {"origin": origin, "jti_hash": jti_hash}) is not None


def addresses(session: Session, node_ids: Collection[str]) -> dict[str, str]:
    """Announced addresses of ``node_ids`` in one query (those without one are left out)."""
    if not node_ids:
        return {}
    rows = session.execute(
        select(NodeAddress.node_id, NodeAddress.url).where(NodeAddress.node_id.in_(set(node_ids)))
    )
    return {node_id: url for node_id, url in rows if url}


def address(session: Session, node_id: str) -> str | None:
    """Where ``node_id`` is reached, as announced (protocol.md §peer.announce), or None."""
    return session.scalar(_ADDRESS, {"node_id": node_id})


def peer_or_announced_url(session: Session, node_id: str) -> str | None:
    """Where ``node_id`` is reached: our peering's URL if it is a direct peer, else its
    announced address (protocol.md §peer.announce), else None."""
    found = session.scalar(_REACH, {"node_id": node_id})
    return str(found) if found else None


def announced_peers(session: Session, origin: str) -> list[Mapping[str, str]]:
    """The list of ``origin``'s latest ``peer.announce``: its latest entry of that type."""
    raw = session.scalar(
        select(FeedEntry.raw)
        .where(FeedEntry.origin == origin, FeedEntry.type == "peer.announce")
        .order_by(FeedEntry.seq.desc())
        .limit(1)
    )
    return list(parse_strict(raw)["body"]["peers"]) if raw is not None else []


def like_literal(text: str) -> str:
    """``text`` for a LIKE pattern that matches it literally (``%`` and ``_`` are not wildcards)."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def query_events(
    session: Session,
    origin: str | None = None,
    start: date | None = None,
    end: date | None = None,
    tag: str | None = None,
    city: str | None = None,
    include_cancelled: bool = True,
    limit: int = 500,
    visible_only: bool = False,
    after: tuple[datetime, str, str] | None = None,
    district: str | None = None,
    light: bool = False,
) -> list[Event]:
    """Events overlapping [start, end] (whole UTC days), newest last; ``origin`` None = all;
    ``city`` and ``district`` those of its space (:func:`visible_spaces`).
    ``visible_only`` leaves out :func:`hidden_origins` in the query itself, so the limit counts
    only events that are shown (a muted relay's spam cannot crowd the others out). ``after``
    (start, origin, id) starts right after that event in this order: a keyset page. ``light``
    leaves each body unread until it is used (see :func:`spaces`)."""
    query = select(Event)
    if light:
        query = query.options(defer(Event.body))
    if after is not None:
        query = query.where(tuple_(Event.start_utc, Event.origin, Event.id) > tuple_(*after))
    if origin is not None:
        query = query.where(Event.origin == origin)
    if visible_only:
        query = query.where(Event.origin.not_in(_hidden_ids()))
    if start is not None:
        query = query.where(Event.end_utc >= datetime.combine(start, time.min, UTC))
    if end is not None:
        query = query.where(
            Event.start_utc < datetime.combine(end + timedelta(days=1), time.min, UTC)
        )
    if tag:
        query = query.where(Event.tags.contains("," + tag.lower() + ",", autoescape=True))
    if city or district:
        # The place's origins first (a few dozen spaces), their events by the primary key: a
        # join would test the place of every event in the network (ARCHITECTURE.md §Network
        # pages).
        query = query.where(Event.origin.in_(_in_place(select(Space.origin), city, district)))
    if not include_cancelled:
        query = query.where(Event.cancelled.is_(False))
    order = (Event.start_utc, Event.origin, Event.id)
    return list(session.scalars(query.order_by(*order).limit(limit)))


def visible_spaces(
    session: Session,
    city: str | None = None,
    country: str | None = None,
    after: tuple[str, str] | None = None,
    limit: int | None = None,
    leave_out: str | None = None,
    district: str | None = None,
    only: str | None = None,
) -> list[tuple[Space, Origin]]:
    """Profiles of origins not in :func:`hidden_origins` (with their origin rows), by name
    regardless of case, then origin: what the network shows. ``city`` and ``district`` match
    literally, case-insensitively. ``after`` (lower-case name, origin) starts right after that
    space, at most ``limit`` of them (a keyset page); ``leave_out`` omits one origin (ours,
    shown first); ``only`` reads that one origin's, if shown."""
    name_key = func.lower(Space.name)
    query = (
        select(Space, Origin)
        .join(Origin, Origin.id == Space.origin)
        .where(Space.origin.not_in(_hidden_ids()))
    )
    if leave_out is not None:
        query = query.where(Space.origin != leave_out)
    if only is not None:
        query = query.where(Space.origin == only)
    if after is not None:
        query = query.where(tuple_(name_key, Space.origin) > tuple_(*after))
    if limit is not None:
        query = query.limit(limit)
    query = _in_place(query, city, district, country)
    ordered = query.order_by(name_key, Space.origin)
    return [(row[0], row[1]) for row in session.execute(ordered)]


def _district() -> Any:
    """The profile's ``district`` as an SQL string expression (the profile is stored as JSON)."""
    return Space.profile["district"].as_string()


def _in_place(
    query: Any, city: str | None, district: str | None = None, country: str | None = None
) -> Any:
    """``query`` (which reads :class:`Space`) narrowed to spaces in ``city``, ``district`` and
    ``country``: city and district literally and case-insensitively, the country exactly."""
    if city:
        query = query.where(Space.city.ilike(like_literal(city), escape="\\"))
    if district:
        query = query.where(_district().ilike(like_literal(district), escape="\\"))
    if country:
        query = query.where(Space.country == country.upper())
    return query


def space_groups(
    session: Session, city: str | None = None, country: str | None = None
) -> list[tuple[str, str, int]]:
    """How many visible spaces (:func:`visible_spaces`) each (city, district) has, in one
    statement: rows of (city, district, count), "" for a space that names none. Cities and
    districts that differ only in case are one group, shown as the first spelling by sort
    order."""
    city_key, district_key = func.lower(Space.city), func.lower(_district())
    query = select(func.min(Space.city), func.min(_district()), func.count(Space.origin)).where(
        Space.origin.not_in(_hidden_ids())
    )
    query = _in_place(query, city, None, country).group_by(city_key, district_key)
    return [(c or "", d or "", int(n)) for c, d, n in session.execute(query)]


def event_groups(
    session: Session, since: datetime, city: str | None = None, country: str | None = None
) -> list[tuple[str, str, int, datetime]]:
    """How many events, not cancelled and not over at ``since``, the visible spaces of each
    (city, district) hold: :func:`space_groups`' rows for events, in one statement, each with
    the end of its first event to end (the counts hold until then)."""
    # Counted per origin first, then summed per place: the place is read from each space's
    # profile once, not from its twenty events' joined rows (ARCHITECTURE.md §Network pages).
    per_origin = (
        select(
            Event.origin.label("origin"),
            func.count().label("n"),
            func.min(Event.end_utc).label("first_end"),
        )
        .where(Event.cancelled.is_(False), Event.end_utc > since)
        .group_by(Event.origin)
        .subquery()
    )
    city_key, district_key = func.lower(Space.city), func.lower(_district())
    query = (
        select(
            func.min(Space.city),
            func.min(_district()),
            func.sum(per_origin.c.n),
            func.min(per_origin.c.first_end),
        )
        .join(per_origin, per_origin.c.origin == Space.origin)
        .where(Space.origin.not_in(_hidden_ids()))
    )
    query = _in_place(query, city, None, country).group_by(city_key, district_key)
    return [(c or "", d or "", int(n), aware(e)) for c, d, n, e in session.execute(query)]


def _hidden_ids() -> CompoundSelect:
    """The ids of :func:`hidden_origins`, as one query to use inside others."""
    muted = select(Mute.node_id).where(Mute.scope == "origin")
    relays = select(Mute.node_id).where(Mute.scope == "relayed-by")
    return union(
        select(Block.node_id),
        select(Origin.id).where(Origin.status != "active"),
        muted,
        # A muted relay hides what it introduced, not its own feed (muted on its own if wanted).
        select(Origin.id).where(Origin.relayed_by.in_(relays), Origin.id != Origin.relayed_by),
    )


def hidden_origins(session: Session) -> set[str]:
    """Origins whose records the network views leave out: blocked, quarantined (a forked
    origin's history cannot be trusted, whichever branch we hold) or muted by an admin (one
    origin, or every origin a muted peer introduced). Muting only hides: the feeds are still
    synced and relayed (``node.network.muting``)."""
    return set(session.scalars(_hidden_ids()))


# ---- calls for collaboration ---------------------------------------------------------------


def project(session: Session, origin: str, project_id: str) -> Project | None:
    """The call ``project_id`` of ``origin`` (closed ones too), or None."""
    return session.get(Project, (origin, project_id))


def projects_of(session: Session, origin: str, include_closed: bool = False) -> list[Project]:
    """``origin``'s calls, soonest deadline first; closed ones only when asked."""
    query = select(Project).where(Project.origin == origin)
    if not include_closed:
        query = query.where(Project.closed.is_(False))
    return list(session.scalars(query.order_by(Project.deadline, Project.id)))


def query_projects(
    session: Session,
    since: date,
    skill: str | None = None,
    city: str | None = None,
    until: date | None = None,
    after: tuple[str, str, str] | None = None,
    limit: int = 500,
) -> list[Project]:
    """Calls not closed whose deadline is ``since`` or later (and ``until`` or earlier), of
    origins the network views show, by deadline then origin and id; ``skill`` and ``city``
    compare case-insensitively with what the call names. ``after`` (deadline, origin, id)
    starts right after that call: a keyset page. Whether a call on the border is still open in
    its own time zone is the caller's question (node/projects/service.py)."""
    query = select(Project).where(
        Project.closed.is_(False),
        Project.deadline >= since.isoformat(),
        Project.origin.not_in(_hidden_ids()),
    )
    if until is not None:
        query = query.where(Project.deadline <= until.isoformat())
    if skill:
        query = query.where(Project.skills.contains("," + skill.lower() + ",", autoescape=True))
    if city:
        query = query.where(Project.city == city.lower())
    if after is not None:
        query = query.where(tuple_(Project.deadline, Project.origin, Project.id) > tuple_(*after))
    order = (Project.deadline, Project.origin, Project.id)
    return list(session.scalars(query.order_by(*order).limit(limit)))


def recently_changed_projects(session: Session, since: date, limit: int) -> list[Project]:
    """Open calls of shown origins whose deadline is ``since`` or later, newest change first
    (the Atom feed of the network's calls)."""
    query = select(Project).where(
        Project.closed.is_(False),
        Project.deadline >= since.isoformat(),
        Project.origin.not_in(_hidden_ids()),
    )
    return list(session.scalars(query.order_by(Project.ts.desc(), Project.origin).limit(limit)))


# ---- agreements ----------------------------------------------------------------------------


def agreements(
    session: Session, involving: str | None = None, ring: Keyring | None = None
) -> dict[str, Standing]:
    """Every agreement a party published, with where it stands (protocol.md §Published
    state); only those with ``involving`` as a party when given.

    Signatures are checked against the keys known now, so an agreement whose party rotated
    before signing stands once that rotation has been synced, whatever arrived first.
    """
    return _standings(session, session.scalars(select(AgreementPublication)), involving, ring)


def agreement(session: Session, agreement_id: str, ring: Keyring | None = None) -> Standing | None:
    """Where the one agreement ``agreement_id`` stands, as :func:`agreements` would say (the
    front desk asks this for every pass, so only that agreement's rows are read; ``ring``, the
    keyring when the caller already built it)."""
    rows = session.scalars(_PUBLICATIONS_OF, {"id": agreement_id})
    return _standings(session, rows, None, ring).get(agreement_id)


def _standings(
    session: Session,
    publications: Iterable[AgreementPublication],
    involving: str | None,
    ring: Keyring | None,
) -> dict[str, Standing]:
    """The fold of the ``publications`` rows (and their terminations) into standings."""
    net = NetworkState()
    for row in publications:
        if involving is None or involving in row.document["parties"]:
            net.of(row.origin).agreements[row.id] = Record(row.document, row.seq, row.ts)
    wanted = {name for state in net.origins.values() for name in state.agreements}
    if not wanted:
        return {}
    for end in session.scalars(_TERMINATIONS_OF, {"ids": sorted(wanted)}):
        net.of(end.origin).terminations[end.id] = _termination(end)
    keys = ring if ring is not None else keyring(session)
    return _standing(net, lambda doc: _verified(doc, keys))


# Agreements whose signatures verified, by what the verdict depends on: the document with its
# signatures and the parties' key periods. A rotation that changes a period changes the key, so
# nothing stale is ever served; pages and the front desk ask for the same few agreements all day.
_VERIFIED: dict[tuple[Any, ...], bool] = {}
_VERIFIED_MAX = 1024


def _verified(doc: Mapping[str, Any], ring: Keyring) -> bool:
    try:
        periods = tuple(
            (p.kid, p.from_ts, p.until_ts) for party in doc["parties"] for p in ring.periods(party)
        )
        # The document's exact content as the key: the C JSON encoder with sorted keys is as
        # exact as the canonical form for this purpose and several times cheaper per pass.
        key = (json.dumps(doc, sort_keys=True, ensure_ascii=False), periods)
    except (KeyError, TypeError, ValueError, ProtocolError):
        return is_valid(doc, ring)
    found = _VERIFIED.get(key)
    if found is None:
        found = is_valid(doc, ring)
        if len(_VERIFIED) >= _VERIFIED_MAX:
            _VERIFIED.clear()
        _VERIFIED[key] = found
    return found


def _termination(row: AgreementTermination) -> Record:
    body: dict[str, Any] = {"id": row.id}
    if row.reason is not None:
        body["reason"] = row.reason
    return Record(body, row.seq, row.ts, reason=row.reason)


# ---- the whole fold ------------------------------------------------------------------------


def network_state(session: Session, origins: Collection[str] | None = None) -> NetworkState:
    """The cache read back as ``federation.state.NetworkState`` (for ``origins``, or all).

    Addresses are those held for, or announced by, the origins named.
    """

    def only(query: Any, column: Any) -> Any:
        return query if origins is None else query.where(column.in_(set(origins)))

    net = NetworkState()
    for row in session.scalars(only(select(Origin).where(Origin.head_seq > 0), Origin.id)):
        net.origins[row.id] = PublishedState(row.id, head_seq=row.head_seq)
    for profile in session.scalars(only(select(Space), Space.origin)):
        net.of(profile.origin).profile = Record(profile.profile, profile.seq, profile.ts)
    for res in session.scalars(only(select(Resource), Resource.origin)):
        net.of(res.origin).resources[res.id] = Record(res.body, res.seq, res.ts, res.removed)
    for ev in session.scalars(only(select(Event), Event.origin)):
        net.of(ev.origin).events[ev.id] = Record(
            ev.body, ev.seq, ev.ts, ev.cancelled, ev.cancel_reason
        )
    for pub in session.scalars(only(select(AgreementPublication), AgreementPublication.origin)):
        net.of(pub.origin).agreements[pub.id] = Record(pub.document, pub.seq, pub.ts)
    for end in session.scalars(only(select(AgreementTermination), AgreementTermination.origin)):
        net.of(end.origin).terminations[end.id] = _termination(end)
    for word in session.scalars(only(select(CohostConfirmation), CohostConfirmation.origin)):
        body: dict[str, Any] = {"origin": word.event_origin, "event": word.event_id}
        if word.reason is not None:
            body["reason"] = word.reason
        net.of(word.origin).cohostings[(word.event_origin, word.event_id)] = Record(
            body, word.seq, word.ts, word.withdrawn, word.reason
        )
    for person in session.scalars(only(select(NetworkPerson), NetworkPerson.origin)):
        net.of(person.origin).people[person.id] = Record(
            person.body, person.seq, person.ts, person.withdrawn
        )
    for call in session.scalars(only(select(Project), Project.origin)):
        net.of(call.origin).projects[call.id] = Record(
            call.body, call.seq, call.ts, call.closed, call.close_reason
        )
    for rev in session.scalars(only(select(Revocation), Revocation.origin)):
        net.of(rev.origin).revoked_jti_hashes.add(rev.jti_hash)
    periods = only(select(KeyPeriodRow), KeyPeriodRow.origin).order_by(
        KeyPeriodRow.origin, KeyPeriodRow.from_seq
    )
    for period in session.scalars(periods):
        if period.from_seq > 1:  # the genesis key is the node id, not a rotation
            net.of(period.origin).keys.append(period.kid)
    for origin in list(net.origins):
        net.of(origin).peers = announced_peers(session, origin)
    for addr in session.scalars(select(NodeAddress)):
        if origins is None or addr.node_id in origins or addr.announced_by in origins:
            net.addresses[addr.node_id] = Address(addr.url, addr.announced_by, addr.seq)
    return net


def network_version(session: Session) -> str:
    """A text that changes whenever what the network pages show may have changed: any stored
    entry of any origin (spaces, events, addresses, co-hosts and agreements are projected from
    entries, and storing them moves ``origins.updated``), an origin quarantined or blocked, a
    block or mute added or lifted, a peer's address. Two cheap statements whatever the
    network's size, read before a page is rendered so that a conditional request can be
    answered without rendering it (``node.web.conditional``)."""
    counts = session.execute(
        select(
            select(func.max(Origin.updated)).scalar_subquery(),
            select(func.count()).select_from(Origin).scalar_subquery(),
            select(func.count())
            .select_from(Origin)
            .where(Origin.status != "active")
            .scalar_subquery(),
            select(func.count()).select_from(Block).scalar_subquery(),
            select(func.max(Block.created)).scalar_subquery(),
            select(func.count()).select_from(Mute).scalar_subquery(),
            select(func.max(Mute.created)).scalar_subquery(),
        )
    ).one()
    peers = sorted((str(i), str(u)) for i, u in session.execute(select(Peer.id, Peer.url)))
    return repr((tuple(counts), peers))
