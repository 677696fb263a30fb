"""Guest bookings at this (host) node: book with a guest pass, look a booking up by its secret
link, cancel it, list them (ARCHITECTURE.md §Guest bookings).

A desk (``hot_desk``, ``fixed_desk``) is booked as a seat for the day, at most ``capacity``
seats a day; a room (``meeting_room``, ``office``) is booked whole, for a slot within one stretch
of the opening hours, never two overlapping slots. The pass is verified offline as at the desk
(node/twinning/desk.py), for the booked day; the booked day is a guest day, counted under both
quotas in the transaction that stores the booking, and a day already counted for the member
(another booking, a check-in) counts once. A day booked ahead is reported to the home node when
it begins, since until then the guest may cancel it and get the day back. Every refusal is a
:class:`BookingRefused` with a stable reason, raised before anything is written.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from federation import passes as tokens
from federation import vocabulary
from federation.agreements import is_active
from federation.errors import PassError
from node import published
from node.bookings import hours, notices
from node.bookings.models import Booking, BookingLock
from node.bookings.views import BookingView
from node.clock import local_day_end, local_day_start, local_today, zone
from node.db import fits_key, insert_or_ignore
from node.errors import Conflict, InvalidInput, NotFound
from node.formats import opening_hours_text, resource_kind_label
from node.messages import N_
from node.runtime import Node
from node.secret_links import find_by_secret, new_secret
from node.services.space import get_profile
from node.twinning import desk

SEAT_KINDS = frozenset(vocabulary.SEAT_KINDS)  # a seat for the day
ROOM_KINDS = frozenset(vocabulary.RESOURCE_KINDS) - SEAT_KINDS  # the whole room for a slot
# Passes last at most 7 days (protocol.md §Guest passes): no day further ahead can be booked.
MAX_DAYS_AHEAD = 8
WINDOW_MAX = 31  # days one listing covers (and the margin its pages step by)
_CLOCK = re.compile(r"^([01][0-9]|2[0-3]):[0-5][0-9]$|^24:00$")

# What the guest reads for each refusal: the desk's (the pass, the quotas), then the booking's.
MESSAGES: dict[str, str] = {
    **desk.MESSAGES,
    "unknown-resource": N_("There is no such desk or room here."),
    "past": N_("That time has already passed."),
    "closed": N_("The space is closed that day."),
    "outside-hours": N_("The space is not open for the whole of that time."),
    "pass-not-for-day": N_("The pass is not valid on that day: ask your space for a pass for it."),
    "full": N_("Every seat is booked that day."),
    "slot-taken": N_("The room is already booked for part of that time."),
    "already-booked": N_("You already hold a booking of this that day."),
    "already-cancelled": N_("This booking is already cancelled."),
    "too-late": N_("A booking can be cancelled only before its day."),
}


class BookingRefused(Conflict):
    """A booking or cancellation refused, nothing written: ``reason`` is a key of
    :data:`MESSAGES` and the detail its text."""

    def __init__(self, reason: str, **extra: Any) -> None:
        super().__init__(MESSAGES.get(reason, reason), reason=reason, **extra)


@dataclass(frozen=True)
class Request:
    """What a guest asks for, parsed: a resource on a day, with a slot for a room."""

    resource_id: str
    day: date
    start: str | None = None
    end: str | None = None


def parse_request(resource_id: Any, day: Any, start: Any = None, end: Any = None) -> Request:
    """Check the shape of a booking request (form, API or CLI): :class:`InvalidInput` names
    every field that is wrong."""
    errors: dict[str, list[str]] = {}
    resource = str(resource_id or "").strip()
    if not resource or len(resource) > 64:
        errors["resource"] = ["choose a desk or room"]
    parsed_day: date | None = None
    if isinstance(day, date):
        parsed_day = day
    else:
        try:
            parsed_day = date.fromisoformat(str(day or "").strip())
        except ValueError:
            errors["day"] = ["a date as YYYY-MM-DD"]
    times: dict[str, str | None] = {}
    for name, value in (("start", start), ("end", end)):
        text = str(value or "").strip()
        if text and not _CLOCK.match(text):
            errors[name] = ["a time as HH:MM"]
        times[name] = text or None
    if not errors and (times["start"] is None) != (times["end"] is None):
        errors["end" if times["end"] is None else "start"] = ["give both a start and an end"]
    if not errors and times["start"] is not None and not str(times["start"]) < str(times["end"]):
        errors["end"] = ["the end must be after the start"]
    if errors:
        summary = "; ".join(f"{k}: {v[0]}" for k, v in errors.items())
        raise InvalidInput(summary, errors=errors)
    assert parsed_day is not None
    return Request(resource, parsed_day, times["start"], times["end"])


def _moment(token: str, day: date, start_minute: int, timezone: str, now: int) -> int:
    """When to verify the pass for a booking that begins ``start_minute`` into ``day``: now, or
    when the booked time or the pass begins if later (a pass for a day next week books that day
    today). The pass must still hold then, as the desk will ask it to: refused when it has
    expired, or ends before the booked time begins, or starts only after the day."""
    try:
        claims = tokens.read_unverified(token.strip())[1]
    except PassError as exc:
        raise BookingRefused("malformed") from exc
    day_start = local_day_start(day, timezone)
    begins = int((day_start + timedelta(minutes=start_minute)).timestamp())
    day_end = int(local_day_end(day, timezone).timestamp())
    moment = max(now, begins, int(claims["nbf"]))
    if int(claims["exp"]) <= now:
        raise BookingRefused("expired")
    if moment >= min(int(claims["exp"]), day_end):
        raise BookingRefused("pass-not-for-day")
    return moment


def _check_time(
    spec: list[dict[str, Any]], wanted: Request, kind: str, today: date, now_minute: int
) -> int:
    """Refuse a time in the past or outside the opening hours; the minute of the day the
    booked time begins (a desk's: opening time)."""
    if wanted.day < today:
        raise BookingRefused("past")
    if wanted.day > today + timedelta(days=MAX_DAYS_AHEAD):
        raise BookingRefused("pass-not-for-day")  # no pass reaches that far
    if kind in SEAT_KINDS:
        span = hours.day_span(spec, wanted.day)
        if span is None:
            raise BookingRefused("closed")
        if wanted.day == today and span[1] <= now_minute:
            raise BookingRefused("past")
        return span[0]
    assert wanted.start is not None and wanted.end is not None
    start, end = hours.minutes(wanted.start), hours.minutes(wanted.end)
    if wanted.day == today and start < now_minute:
        raise BookingRefused("past")
    if spec and not hours.open_intervals(spec, wanted.day):
        raise BookingRefused("closed")
    if not hours.is_open_for(spec, wanted.day, start, end):
        raise BookingRefused("outside-hours")
    return start


def _lock(session: Session, resource_id: str, day: str) -> None:
    """Take the (resource, day) row for this transaction: bookings of it take turns."""
    query = (
        select(BookingLock.day)
        .where(BookingLock.resource_id == resource_id, BookingLock.day == day)
        .with_for_update()
    )
    if session.scalar(query) is None:
        session.execute(
            insert_or_ignore(session, BookingLock).values(resource_id=resource_id, day=day)
        )
        session.scalar(query)


def _live(session: Session, resource_id: str, day: str) -> list[Booking]:
    return list(
        session.scalars(
            select(Booking).where(
                Booking.resource_id == resource_id,
                Booking.day == day,
                Booking.cancelled.is_(None),
            )
        )
    )


def book(session: Session, node: Node, token: str, wanted: Request) -> tuple[Booking, str]:
    """Book ``wanted`` for the holder of the pass ``token``; the booking and its secret (the
    guest's link), which only this answer holds."""
    found = published.resource(session, node.node_id, wanted.resource_id)
    if found is None or found.removed:
        raise BookingRefused("unknown-resource")
    kind = found.kind
    if kind in SEAT_KINDS and (wanted.start or wanted.end):
        raise InvalidInput(
            N_("a desk is booked for the whole day: leave start and end out"),
            errors={"start": [N_("not for a desk")]},
        )
    if kind in ROOM_KINDS and not wanted.start:
        raise InvalidInput(
            N_("a room is booked for a time: give a start and an end (HH:MM)"),
            errors={"start": [N_("required for a room")]},
        )
    profile = get_profile(session, node.node_id)
    timezone = str(profile["timezone"])
    now = int(node.clock())
    local_now = datetime.fromtimestamp(now, zone(timezone))
    today = local_now.date()
    begins = _check_time(
        list(profile.get("opening_hours") or []),
        wanted,
        kind,
        today,
        local_now.hour * 60 + local_now.minute,
    )
    moment = _moment(token, wanted.day, begins, timezone, now)
    try:
        guest = desk.verify_guest(session, node, token, wanted.day, moment, kind)
    except desk.GuestRefused as refused:
        raise BookingRefused(refused.reason) from refused
    claims = guest.claims
    day = wanted.day.isoformat()
    _lock(session, wanted.resource_id, day)
    taken = _live(session, wanted.resource_id, day)
    if kind in SEAT_KINDS:
        if any(b.home_id == claims["iss"] and b.member == claims["sub"] for b in taken):
            raise BookingRefused("already-booked")
        if len(taken) >= int(found.body["capacity"]):
            raise BookingRefused("full")
    elif any(str(b.start) < str(wanted.end) and str(wanted.start) < str(b.end) for b in taken):
        raise BookingRefused("slot-taken")
    counted = desk.count_guest_day(session, node, guest, kind, report=wanted.day <= today)
    if not counted.decision.admitted:
        raise BookingRefused(counted.decision.outcome)
    secret, hashed = new_secret()
    row = Booking(
        secret_hash=hashed,
        resource_id=wanted.resource_id,
        resource_kind=kind,
        day=day,
        start=wanted.start,
        end=wanted.end,
        agreement_id=claims["agr"],
        home_id=claims["iss"],
        member=claims["sub"],
        name=claims["name"],
        jti=claims["jti"],
        created=node.now(),
    )
    session.add(row)
    session.flush()  # the id the notice names
    notices.send(session, node, row, str(found.body["name"]), "booked")
    return row, secret


def for_secret(session: Session, secret: str) -> Booking | None:
    """The booking whose guest link has this secret, or None (also for a malformed one)."""
    found: Booking | None = find_by_secret(session, Booking.secret_hash, secret)
    return found


def get(session: Session, booking_id: int) -> Booking:
    """The booking with this number (the admin's view), or :class:`NotFound`."""
    row = session.get(Booking, booking_id) if fits_key(booking_id) else None
    if row is None:
        raise NotFound(
            N_("no booking %(booking_id)s: see spazi booking list", booking_id=booking_id),
            reason="unknown-booking",
        )
    return row


def cancel(session: Session, node: Node, row: Booking, by: str = "guest") -> bool:
    """Cancel a booking: by the guest only before its day, by the host (``by="host"``) any
    time. Before the day, the guest day is given back unless another booking holds it; whether
    it was."""
    timezone = desk.host_timezone(session, node)
    today = local_today(timezone, node.now_ms())
    before_day = today.isoformat() < row.day
    if before_day:
        # The month's row first, as a booking takes it before it looks at the member's day:
        # a booking and a cancellation of the same member's day, or two cancellations, take
        # turns, and each sees what the other committed (PostgreSQL; SQLite has one writer).
        desk.lock_month(session, row.agreement_id, row.day[:7])
        session.refresh(row)
    if row.cancelled is not None:
        raise BookingRefused("already-cancelled")
    if by == "guest" and not before_day:
        raise BookingRefused("too-late")
    row.cancelled, row.cancelled_by = node.now(), by
    session.flush()
    released = False
    if before_day:
        others = session.scalar(
            select(func.count(Booking.id)).where(
                Booking.home_id == row.home_id,
                Booking.member == row.member,
                Booking.day == row.day,
                Booking.cancelled.is_(None),
            )
        )
        if not others:
            released = desk.release_guest_day(session, row.home_id, row.member, row.day)
    resource = published.resource(session, node.node_id, row.resource_id)
    name = str(resource.body["name"]) if resource is not None else row.resource_id
    notices.send(session, node, row, name, "cancelled")
    return released


def views(session: Session, node: Node, rows: list[Booking]) -> list[BookingView]:
    """Bookings with their resources' and home spaces' names (two lookups for the lot)."""
    names = published.space_names(session, {r.home_id for r in rows})
    resources = {r.id: r for r in published.resources(session, node.node_id, True)}
    return [
        BookingView(
            id=row.id,
            day=date.fromisoformat(row.day),
            start=row.start,
            end=row.end,
            resource_id=row.resource_id,
            resource_name=(
                str(resources[row.resource_id].body["name"])
                if row.resource_id in resources
                else row.resource_id
            ),
            resource_kind=row.resource_kind,
            kind_label=resource_kind_label(row.resource_kind),
            name=row.name,
            home_id=row.home_id,
            home_name=names.get(row.home_id, ""),
            created=row.created,
            cancelled=row.cancelled is not None,
        )
        for row in rows
    ]


def between(
    session: Session, node: Node, first: date, days: int = 1, cancelled: bool = False
) -> list[BookingView]:
    """Bookings of ``days`` days from ``first`` (our dates), by day, resource and start;
    cancelled ones only when asked."""
    if not date.min + timedelta(days=WINDOW_MAX) <= first <= date.max - timedelta(days=WINDOW_MAX):
        raise InvalidInput(
            N_("day: a date of this era, as YYYY-MM-DD"), errors={"day": [N_("Out of range.")]}
        )
    last = first + timedelta(days=days)
    query = select(Booking).where(Booking.day >= first.isoformat(), Booking.day < last.isoformat())
    if not cancelled:
        query = query.where(Booking.cancelled.is_(None))
    rows = list(
        session.scalars(query.order_by(Booking.day, Booking.resource_id, Booking.start, Booking.id))
    )
    return views(session, node, rows)


def today(session: Session, node: Node) -> list[BookingView]:
    """Today's live bookings (our date): what the front desk expects."""
    timezone = desk.host_timezone(session, node)
    return between(session, node, local_today(timezone, node.now_ms()))


@dataclass(frozen=True)
class Offer:
    """What the holder of a pass may book here: shown before they choose."""

    name: str
    home_name: str
    first_day: date
    last_day: date
    resources: list[dict[str, Any]]  # id, name, kind, kind_label, capacity, room (bool)
    hours: str
    timezone: str


def offer(session: Session, node: Node, token: str) -> Offer:
    """Verify ``token`` for its first day here and list what its grant lets the holder book;
    :class:`BookingRefused` when it would not be admitted on any day it covers."""
    profile = get_profile(session, node.node_id)
    timezone = str(profile["timezone"])
    now = int(node.clock())
    try:
        claims = tokens.read_unverified(token.strip())[1]
    except PassError as exc:
        raise BookingRefused("malformed") from exc
    if int(claims["exp"]) <= now:
        raise BookingRefused("expired")
    start = max(now, int(claims["nbf"]))
    first = local_today(timezone, start * 1000)
    last = local_today(timezone, (int(claims["exp"]) - 1) * 1000)
    try:
        guest = desk.verify_guest(session, node, token, first, start)
    except desk.GuestRefused as refused:
        raise BookingRefused(refused.reason) from refused
    kinds = set(guest.grant["resource_kinds"])
    resources = [
        {
            "id": r.id,
            "name": str(r.body["name"]),
            "kind": r.kind,
            "kind_label": resource_kind_label(r.kind),
            "capacity": int(r.body["capacity"]),
            "room": r.kind in ROOM_KINDS,
        }
        for r in published.resources(session, node.node_id)
        if r.kind in kinds
    ]
    return Offer(
        name=str(claims["name"]),
        home_name=guest.home_name,
        first_day=first,
        last_day=max(first, last),
        resources=resources,
        hours=opening_hours_text(list(profile.get("opening_hours") or [])),
        timezone=timezone,
    )


def void_bookings(session: Session, node: Node) -> list[Booking]:
    """Cancel, as the host, the live bookings of days not begun whose pass the home node has
    revoked since, or whose agreement no longer lets its members in that day (terminated, or
    ended before it): the desk would refuse them on the day, so the days are given back now and
    the home node is told. The ones cancelled."""
    today = local_today(desk.host_timezone(session, node), node.now_ms()).isoformat()
    rows = list(
        session.scalars(
            select(Booking)
            .where(Booking.cancelled.is_(None), Booking.day > today)
            .order_by(Booking.id)
        )
    )
    standings: dict[str, Any] = {}
    void: list[Booking] = []
    for row in rows:
        if row.agreement_id not in standings:
            standings[row.agreement_id] = published.agreement(session, row.agreement_id)
        standing = standings[row.agreement_id]
        ended = (
            standing is None
            or not standing.in_force
            or not is_active(standing.document, date.fromisoformat(row.day))
        )
        if ended or published.is_revoked(session, row.home_id, tokens.jti_hash(row.jti)):
            cancel(session, node, row, by="host")
            void.append(row)
    return void
