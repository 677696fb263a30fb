"""Time helpers shared by the node: the clock, stored datetimes, and event times in UTC."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime, timedelta
from functools import cache
from importlib import resources
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


@cache
def zone(name: str) -> ZoneInfo:
    """The time zone ``name`` from the ``tzdata`` package the project pins, never from the
    system's zone files: ``ZoneInfo(name)`` reads /usr/share/zoneinfo first, whose release
    differs from machine to machine, and a node must turn an event's wall time into the same
    instant as every other node does (protocol.md §Entry types, the *zone* format). Names are
    checked against ``federation/zones.txt`` before they get here; an unknown one raises
    ``ZoneInfoNotFoundError`` as ``ZoneInfo`` would."""
    parts = name.split("/")
    if not all(part and part not in (".", "..") for part in parts):
        raise ZoneInfoNotFoundError(f"no time zone {name!r} in tzdata")
    try:
        data = resources.files("tzdata.zoneinfo").joinpath(*parts).read_bytes()
    except (FileNotFoundError, IsADirectoryError, NotADirectoryError, ValueError) as exc:
        raise ZoneInfoNotFoundError(f"no time zone {name!r} in tzdata") from exc
    return ZoneInfo.from_file(io.BytesIO(data), key=name)


def utcnow() -> datetime:
    """The real clock, aware, in UTC (a node's own clock is ``Node.now``)."""
    return datetime.now(UTC)


def aware(value: datetime) -> datetime:
    """SQLite hands back naive datetimes for timezone-aware columns; they are stored as UTC."""
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def utc_text(value: datetime) -> str:
    """A stored instant as RFC 3339 text in UTC, ``2026-12-01T09:00:00Z``. The year always has
    four digits: ``strftime("%Y")`` drops the leading zeros of the years 0002..0999 that
    events may have (protocol.md §Entry types, the *local date-time* format)."""
    return aware(value).astimezone(UTC).replace(tzinfo=None).isoformat(timespec="seconds") + "Z"


def utc_minute(value: datetime) -> str:
    """A stored instant for a person to read: ``2026-12-01 09:00 UTC`` (the CLI's lists)."""
    return utc_text(value)[:16].replace("T", " ") + " UTC"


def ms_to_dt(ms: int) -> datetime:
    """Unix milliseconds (an entry's ``ts``) as an aware UTC datetime."""
    return datetime.fromtimestamp(ms / 1000, UTC)


def utc_instant(local: str, tz: str) -> datetime:
    """The UTC instant of wall-clock time ``local`` in zone ``tz`` (an event's start or end).

    Same result as ``fromisoformat(local).replace(tzinfo=ZoneInfo(tz)).astimezone(UTC)``, fold
    and gaps included (both ask the zone for the offset of the naive wall time, fold 0), at a
    third of the cost: ``replace`` and ``astimezone`` cost microseconds each on the sync hot
    path, where every ``event.put`` needs two of these, while parsing an ISO text that ends in
    ``+00:00`` yields an aware UTC datetime directly.
    """
    wall = datetime.fromisoformat(local)
    offset = zone(tz).utcoffset(wall)
    if offset is None:  # pragma: no cover - ZoneInfo always knows the offset
        offset = timedelta(0)
    return datetime.fromisoformat((wall - offset).isoformat() + "+00:00")


def local_today(timezone: str, now_ms: int) -> date:
    """Today's date at the space."""
    return (datetime.fromtimestamp(now_ms / 1000, UTC).astimezone(zone(timezone))).date()


def month_bounds(day: date) -> tuple[str, str]:
    """The ISO dates of the first day of ``day``'s month and of the month after: the bounds a
    day stored as ``YYYY-MM-DD`` text is compared with (``first <= day < following``)."""
    first = day.replace(day=1)
    following = date(first.year + (first.month == 12), first.month % 12 + 1, 1)
    return first.isoformat(), following.isoformat()


def local_day_start(day: date, timezone: str) -> datetime:
    """Midnight starting ``day`` at the space, as an aware UTC datetime."""
    midnight = datetime(day.year, day.month, day.day, tzinfo=zone(timezone))
    return midnight.astimezone(UTC)


def local_day_end(day: date, timezone: str) -> datetime:
    """Midnight ending ``day`` at the space, as an aware UTC datetime."""
    return local_day_start(day + timedelta(days=1), timezone)
