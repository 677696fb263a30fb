"""An ICS calendar's events as event bodies this node can publish (no database, no Flask).

Each item is keyed by its UID, and for an occurrence of a recurring event by its start as well,
so the same item becomes the same event on every import. Recurring events are expanded with
``recurring-ical-events`` for a bounded window (from a day ago to ``WINDOW_DAYS`` ahead): a
weekly meetup becomes its next occurrences, not an endless series. Text from the calendar is
made *text* as the protocol defines it (control characters dropped) and cut to the protocol's
lengths, so a calendar someone else writes can never make an entry the node refuses.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Any

import recurring_ical_events
from icalendar import Calendar
from marshmallow import ValidationError

from federation.schema import MULTI_LINE_CONTROLS, ONE_LINE_CONTROLS, ZONES
from node.clock import zone
from node.errors import InvalidInput
from node.messages import N_
from node.schemas import URL

WINDOW_DAYS = 180  # how far ahead recurring events are expanded
PAST_DAYS = 1  # events that ended before this are left alone (history is not rewritten)
MAX_ITEMS = 2000  # items per calendar; more is not a space's calendar
TOO_FREQUENT = {"SECONDLY", "MINUTELY"}
TITLE_CHARS = 200
DESCRIPTION_CHARS = 5000
KEY_CHARS = 300


@dataclass(frozen=True)
class CalendarItem:
    """One event of the calendar, ready for ``events.add_event``/``update_event``."""

    key: str  # UID, plus the occurrence's start for a recurring event
    body: dict[str, Any]  # title, description, start, end, timezone, url
    cancelled: bool  # STATUS:CANCELLED upstream


def _line(value: Any, limit: int) -> str:
    text = " ".join(ONE_LINE_CONTROLS.sub(" ", str(value or "")).split())
    return text[:limit].rstrip()


def _lines(value: Any, limit: int) -> str:
    text = str(value or "").replace("\r\n", "\n").replace("\r", "\n")
    return MULTI_LINE_CONTROLS.sub("", text).strip()[:limit].rstrip()


def _zone_name(value: datetime, fallback: str) -> str:
    """The event's IANA zone: its own when the calendar names one the protocol knows, UTC for
    a UTC time, else the space's (a floating time is local to the space)."""
    zone: tzinfo | None = value.tzinfo
    if zone is None:
        return fallback
    key = getattr(zone, "key", None) or getattr(zone, "zone", None) or str(zone)
    if key in ZONES:
        return str(key)
    if value.utcoffset() == timedelta(0):
        return "UTC"
    return fallback


def _minutes(value: datetime) -> str:
    """``YYYY-MM-DDTHH:MM`` of a wall time, the year always four digits (``strftime("%Y")``
    drops the leading zeros of the years 0002..0999 that the protocol takes)."""
    return value.replace(tzinfo=None).isoformat(timespec="minutes")


def _local(value: datetime, zone_name: str) -> str:
    if value.tzinfo is not None:
        value = value.astimezone(zone(zone_name))
    return _minutes(value)


def _times(component: Any, space_zone: str) -> tuple[str, str, str] | None:
    """(start, end, timezone) of an event component, or None when it has no usable start."""
    start_prop = component.get("DTSTART")
    if start_prop is None:
        return None
    start = start_prop.dt
    end_prop = component.get("DTEND")
    if end_prop is not None:
        end = end_prop.dt
    elif component.get("DURATION") is not None:
        end = start + component.get("DURATION").dt
    else:
        end = start + (timedelta(days=1) if not isinstance(start, datetime) else timedelta(hours=1))
    if not isinstance(start, datetime):  # an all-day event: midnight to midnight at the space
        start = datetime.combine(start, datetime.min.time())
        end = datetime.combine(end if isinstance(end, date) else start.date(), datetime.min.time())
        if end <= start:
            end = start + timedelta(days=1)
        return _minutes(start), _minutes(end), space_zone
    if not isinstance(end, datetime):
        end = start + timedelta(hours=1)
    zone_name = _zone_name(start, space_zone)
    local_start, local_end = _local(start, zone_name), _local(end, zone_name)
    if local_end <= local_start:  # a zero-length item still needs an end after its start
        local_end = _local(start + timedelta(minutes=1), zone_name)
    return local_start, local_end, zone_name


def _is_http_url(text: str) -> bool:
    """Whether ``text`` is a link the event schema takes (others are left out of the item)."""
    try:
        URL(text)
    except ValidationError:
        return False
    return True


def _key(component: Any, recurring: bool) -> str | None:
    uid = _line(component.get("UID"), 10_000)
    if not uid:
        return None
    if len(uid) > KEY_CHARS - 40:  # long UIDs differ anywhere: keep them apart by their hash
        uid = "sha256:" + hashlib.sha256(uid.encode()).hexdigest()
    if not recurring:
        return uid
    start = component.get("DTSTART").dt
    if isinstance(start, datetime) and start.tzinfo:
        moment = start.astimezone(UTC)  # four-digit year: strftime("%Y") drops leading zeros
        stamp = f"{moment.year:04d}{moment:%m%dT%H%M%SZ}"
    else:
        stamp = start.isoformat()
    return f"{uid}#{stamp}"


@dataclass(frozen=True)
class ParsedCalendar:
    """The items of a calendar in the window; ``complete`` is False when the item cap cut them
    short (then what is missing is not known to be gone)."""

    items: list[CalendarItem]
    complete: bool


def parse_calendar(data: bytes, space_zone: str, now: datetime) -> ParsedCalendar:
    """The events of the ICS document ``data`` from a day ago to ``WINDOW_DAYS`` ahead.

    Raises :class:`InvalidInput` when ``data`` is not an iCalendar document.
    """
    try:
        calendar = Calendar.from_ical(data)
    except (ValueError, IndexError, KeyError) as exc:
        raise InvalidInput(
            N_("the address does not serve an iCalendar (.ics) calendar"), reason="bad-calendar"
        ) from exc
    if calendar.name != "VCALENDAR":
        raise InvalidInput(N_("the document is not a VCALENDAR"), reason="bad-calendar")
    window_start = now - timedelta(days=PAST_DAYS)
    window_end = now + timedelta(days=WINDOW_DAYS)
    # A rule repeating more often than hourly is no space's event, and could expand to millions
    # of occurrences: such events are left out before anything is expanded.
    for component in list(calendar.walk("VEVENT")):
        rule = component.get("RRULE")
        if rule is not None and str(rule.get("FREQ", [""])[0]).upper() in TOO_FREQUENT:
            calendar.subcomponents.remove(component)
    recurring_uids = {
        str(c.get("UID"))
        for c in calendar.walk("VEVENT")
        if c.get("RRULE") is not None or c.get("RDATE") is not None or c.get("RECURRENCE-ID")
    }
    occurrences: list[Any] = []
    complete = True
    try:
        # Lazily, in start order: the expansion stops at the window's end or the item cap.
        for component in recurring_ical_events.of(calendar).after(window_start):
            start = component.get("DTSTART").dt
            start_at = start if isinstance(start, datetime) else datetime.combine(start, time.min)
            if start_at.tzinfo is None:
                start_at = start_at.replace(tzinfo=UTC)
            if start_at > window_end:
                break
            if len(occurrences) >= MAX_ITEMS:
                complete = False
                break
            occurrences.append(component)
    except Exception as exc:  # the library raises many kinds on broken recurrence rules
        raise InvalidInput(
            N_(
                "the calendar's recurring events cannot be read: %(error)s",
                error=type(exc).__name__,
            ),
            reason="bad-calendar",
        ) from exc
    items: dict[str, CalendarItem] = {}
    for component in occurrences:
        key = _key(component, str(component.get("UID")) in recurring_uids)
        times = _times(component, space_zone)
        title = _line(component.get("SUMMARY"), TITLE_CHARS) or "Event"
        if key is None or times is None:
            continue
        start, end, zone_name = times
        body: dict[str, Any] = {"title": title, "start": start, "end": end, "timezone": zone_name}
        description = _lines(component.get("DESCRIPTION"), DESCRIPTION_CHARS)
        if description:
            body["description"] = description
        url = _line(component.get("URL"), 2000)
        if url and _is_http_url(url):
            body["url"] = url
        status = str(component.get("STATUS") or "").upper()
        items[key] = CalendarItem(key, body, status == "CANCELLED")
    return ParsedCalendar(list(items.values()), complete)
