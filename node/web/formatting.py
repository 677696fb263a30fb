"""Turning published records into words for people: dates, prices and opening hours.

Month and day names are spelled out here rather than taken from ``strftime`` so the pages read the
same whatever locale the server runs in.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from federation.bodies import DAYS
from node.clock import local_day_end as local_day_end  # re-exported: pages use them from here
from node.clock import local_day_start as local_day_start
from node.clock import local_today as local_today
from node.clock import zone
from node.formats import SHORT_DAY, day_list, minor_to_major

WEEKDAYS = DAYS[:7]
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def format_money(minor: int | None, currency: str | None) -> str:
    """A price from minor units: ``2550, "EUR"`` → ``"25.50 EUR"``; 0 is ``"free"``."""
    if minor is None:
        return ""
    if minor == 0:
        return "free"
    amount = f"{minor_to_major(minor, currency):,}"
    return f"{amount} {currency}" if currency else amount


def resource_prices(body: dict[str, Any]) -> list[str]:
    """``["4.00 GBP per hour", "25.00 GBP per day"]`` for the prices a resource has."""
    currency = body.get("currency")
    out = []
    if body.get("price_hour_minor") is not None:
        out.append(f"{format_money(body['price_hour_minor'], currency)} per hour")
    if body.get("price_day_minor") is not None:
        out.append(f"{format_money(body['price_day_minor'], currency)} per day")
    return out


# -- dates and times ---------------------------------------------------------------------------


def event_instant(local: str, timezone: str) -> datetime:
    """An event's published wall-clock time as an aware datetime in its own time zone."""
    return datetime.fromisoformat(local).replace(tzinfo=zone(timezone))


def iso_with_offset(local: str, timezone: str) -> str:
    """``"2026-12-01T09:00", "Europe/Rome"`` → ``"2026-12-01T09:00:00+01:00"``."""
    return event_instant(local, timezone).isoformat()


def format_date(day: date) -> str:
    """``Tue 1 Dec 2026``."""
    return f"{SHORT_DAY[WEEKDAYS[day.weekday()]]} {day.day} {MONTHS[day.month - 1]} {day.year}"


def format_span(start: str, end: str) -> str:
    """Start and end of an event in its own wall-clock time, the date said once if shared."""
    first, last = datetime.fromisoformat(start), datetime.fromisoformat(end)
    if first.date() == last.date():
        return f"{format_date(first.date())}, {first:%H:%M}–{last:%H:%M}"
    return f"{format_date(first.date())}, {first:%H:%M} – {format_date(last.date())}, {last:%H:%M}"


def rfc3339_ms(ms: int) -> str:
    """Unix milliseconds as ``2026-11-18T10:00:00Z`` (whole seconds)."""
    return datetime.fromtimestamp(ms // 1000, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


# -- opening hours (schema.org OpeningHoursSpecification) ----------------------------------------


@dataclass(frozen=True)
class HoursRow:
    """One line of the opening-hours table: a label (days or a day) and its hours."""

    label: str
    hours: list[str]


def hours_label(spec: dict[str, Any]) -> str:
    """The hours of one specification in words, following schema.org's conventions:
    ``00:00``–``00:00`` is closed all day, ``00:00``–``23:59``/``24:00`` open all day, and a
    closing time at or before the opening time closes after midnight."""
    opens, closes = spec["opens"], spec["closes"]
    if opens == closes == "00:00":
        return "closed"
    if opens == "00:00" and closes in ("23:59", "24:00"):
        return "open 24 hours"
    text = f"{opens}–{closes}"
    if closes != "24:00" and closes <= opens:
        text += " (next day)"
    return text


def _is_regular(spec: dict[str, Any], today: date) -> bool:
    starts = spec.get("valid_from")
    return spec.get("valid_through") is None and (starts is None or starts <= today.isoformat())


def weekly_hours(specs: list[dict[str, Any]], today: date) -> list[HoursRow]:
    """The regular week, one row per day (Mon–Sun, public holidays if given), for the
    specifications in force today with no end date. Empty if there are none."""
    regular = [s for s in specs if _is_regular(s, today)]
    if not regular:
        return []
    rows = []
    for day in DAYS:
        matching = sorted((s for s in regular if day in s["days"]), key=lambda s: s["opens"])
        if day == "PublicHolidays" and not matching:
            continue
        labels = [hours_label(s) for s in matching]
        open_labels = [label for label in labels if label != "closed"]
        rows.append(HoursRow(SHORT_DAY[day], open_labels or ["closed"]))
    return rows


def special_hours(specs: list[dict[str, Any]], today: date) -> list[HoursRow]:
    """Specifications bounded by dates that have not ended yet (holidays, seasons)."""
    rows = []
    for spec in specs:
        if _is_regular(spec, today):
            continue
        until = spec.get("valid_through")
        if until is not None and until < today.isoformat():
            continue  # over: no longer worth showing
        rows.append(HoursRow(f"{day_list(spec['days'])}, {_validity(spec)}", [hours_label(spec)]))
    return rows


def _validity(spec: dict[str, Any]) -> str:
    starts, until = spec.get("valid_from"), spec.get("valid_through")
    if starts and until:
        if starts == until:
            return format_date(date.fromisoformat(starts))
        return (
            f"{format_date(date.fromisoformat(starts))} – {format_date(date.fromisoformat(until))}"
        )
    if starts:
        return f"From {format_date(date.fromisoformat(starts))}"
    return f"Until {format_date(date.fromisoformat(until or ''))}"


# Labels of the amenity words spaces use most; any other word is shown as written, its dashes
# and underscores as spaces and its first letter capitalised.
AMENITY_LABELS = {
    "wifi": "Wi-Fi",
    "coffee": "Coffee",
    "tea": "Tea",
    "kitchen": "Kitchen",
    "printer": "Printer",
    "parking": "Parking",
    "bike_parking": "Bike parking",
    "lockers": "Lockers",
    "showers": "Showers",
    "phone_booth": "Phone booth",
    "projector": "Projector",
    "accessible": "Step-free access",
    "wheelchair": "Wheelchair access",
    "air_conditioning": "Air conditioning",
    "24h": "Open 24 hours",
    "pets": "Pets welcome",
}


def amenity_label(word: str) -> str:
    """``wifi`` → ``Wi-Fi``; ``meeting-pods`` → ``Meeting pods``."""
    key = str(word).strip().lower()
    if key in AMENITY_LABELS:
        return AMENITY_LABELS[key]
    text = key.replace("_", " ").replace("-", " ")
    return text[:1].upper() + text[1:]


def address_line(profile: Mapping[str, Any], country: bool = False) -> str:
    """The address, the city unless the address already names it, and the country if asked:
    ``Via Roma 1, Prato`` rather than ``Via Roma 1, Prato, Prato``."""
    address = str(profile.get("address") or "").strip()
    parts = [address] if address else []
    folded = address.casefold()
    for key in ("city", "country") if country else ("city",):
        value = str(profile.get(key) or "").strip()
        if value and value.casefold() not in folded:
            parts.append(value)
    return ", ".join(parts)
