"""Turning published records into words for people: dates, prices and opening hours, in the
language of the request (ARCHITECTURE.md §Translations).

Month and day names, numbers and prices come from Babel's locale data for that language, never
from ``strftime`` or the server's locale, so a page reads the same on every machine.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from babel.dates import format_date as babel_date
from babel.dates import format_timedelta, get_day_names
from babel.numbers import format_currency
from babel.numbers import format_decimal as babel_decimal
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from federation.bodies import DAYS, RESOURCE_KINDS
from node import formats
from node.clock import local_day_end as local_day_end  # re-exported: pages use them from here
from node.clock import local_day_start as local_day_start
from node.clock import local_today as local_today
from node.clock import utc_text, zone
from node.formats import day_list, minor_to_major
from node.web.i18n import current_language

WEEKDAYS = DAYS[:7]


# The amount in the language's digits and separators, then the ISO code: ``25.50 EUR`` in
# English, ``25,50 EUR`` in Italian. The code rather than a symbol, because "$" alone does not
# say which dollar; Babel gives each currency its number of decimals.
MONEY_PATTERN = "#,##0.00\u00a0¤¤"


def format_money(minor: int | None, currency: str | None) -> str:
    """A price from minor units: ``2550, "EUR"`` → ``"25.50 EUR"`` (``"25,50 EUR"`` in
    Italian); 0 is ``"free"``."""
    if minor is None:
        return ""
    if minor == 0:
        return _("free")
    major = minor_to_major(minor, currency)
    locale = current_language()
    # As many decimals as the currency's minor unit has (node.formats.currency_exponent).
    exponent = major.as_tuple().exponent
    decimals = -exponent if isinstance(exponent, int) and exponent < 0 else 0
    digits = "#,##0" + ("." + "0" * decimals if decimals else "")
    if not currency:
        return babel_decimal(major, digits, locale=locale)
    try:
        text = format_currency(major, currency, MONEY_PATTERN, locale=locale)
    except Exception:  # a code Babel does not know: the amount and the code as published
        text = f"{babel_decimal(major, digits, locale=locale)} {currency}"
    return text.replace("\u00a0", " ")


def resource_prices(body: dict[str, Any]) -> list[str]:
    """``["4.00 GBP per hour", "25.00 GBP per day"]`` for the prices a resource has."""
    currency = body.get("currency")
    out = []
    if body.get("price_hour_minor") is not None:
        out.append(_("%(price)s per hour", price=format_money(body["price_hour_minor"], currency)))
    if body.get("price_day_minor") is not None:
        out.append(_("%(price)s per day", price=format_money(body["price_day_minor"], currency)))
    return out


# -- dates and times ---------------------------------------------------------------------------


def event_instant(local: str, timezone: str) -> datetime:
    """An event's published wall-clock time as an aware datetime in its own time zone."""
    return datetime.fromisoformat(local).replace(tzinfo=zone(timezone))


def iso_with_offset(local: str, timezone: str) -> str:
    """``"2026-12-01T09:00", "Europe/Rome"`` → ``"2026-12-01T09:00:00+01:00"``."""
    return event_instant(local, timezone).isoformat()


def format_date(day: date) -> str:
    """``Tue 1 Dec 2026`` (``mar 1 dic 2026`` in Italian)."""
    return str(babel_date(day, "EEE d MMM y", locale=current_language()))


def short_days() -> dict[str, str]:
    """The abbreviated names of the days of ``DAYS`` in the request's language."""
    names = get_day_names("abbreviated", locale=current_language())
    out = {day: str(names[index]) for index, day in enumerate(WEEKDAYS)}
    out["PublicHolidays"] = _("Public holidays")
    return out


def ago(when: datetime | str | None, now: datetime) -> str:
    """:func:`node.formats.ago` in the request's language (English keeps its short words)."""
    if current_language() == "en" or when is None or when == "":
        text = formats.ago(when, now)
        return _("never") if text == "never" else text
    if isinstance(when, str):
        when = datetime.fromisoformat(when.replace("Z", "+00:00"))
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    delta = when - now
    if abs(delta.total_seconds()) < 60:
        return _("just now")
    return str(
        format_timedelta(delta, add_direction=True, format="short", locale=current_language())
    )


def format_span(start: str, end: str) -> str:
    """Start and end of an event in its own wall-clock time, the date said once if shared."""
    first, last = datetime.fromisoformat(start), datetime.fromisoformat(end)
    if first.date() == last.date():
        return f"{format_date(first.date())}, {first:%H:%M}–{last:%H:%M}"
    return f"{format_date(first.date())}, {first:%H:%M} – {format_date(last.date())}, {last:%H:%M}"


def rfc3339_ms(ms: int) -> str:
    """Unix milliseconds as ``2026-11-18T10:00:00Z`` (whole seconds)."""
    return utc_text(datetime.fromtimestamp(ms // 1000, UTC))


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
        return _("closed")
    if opens == "00:00" and closes in ("23:59", "24:00"):
        return _("open 24 hours")
    text = f"{opens}–{closes}"
    if closes != "24:00" and closes <= opens:
        text = _("%(hours)s (next day)", hours=text)
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
    names = short_days()
    closed = _("closed")
    for day in DAYS:
        matching = sorted((s for s in regular if day in s["days"]), key=lambda s: s["opens"])
        if day == "PublicHolidays" and not matching:
            continue
        labels = [hours_label(s) for s in matching]
        open_labels = [label for label in labels if label != closed]
        rows.append(HoursRow(names[day], open_labels or [closed]))
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
        days = day_list(spec["days"], names=short_days())
        rows.append(HoursRow(f"{days}, {_validity(spec)}", [hours_label(spec)]))
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
        return _("From %(day)s", day=format_date(date.fromisoformat(starts)))
    return _("Until %(day)s", day=format_date(date.fromisoformat(until or "")))


# Labels of the amenity words spaces use most; any other word is shown as written, its dashes
# and underscores as spaces and its first letter capitalised.
AMENITY_LABELS = {
    "wifi": _l("Wi-Fi"),
    "coffee": _l("Coffee"),
    "tea": _l("Tea"),
    "kitchen": _l("Kitchen"),
    "printer": _l("Printer"),
    "parking": _l("Parking"),
    "bike_parking": _l("Bike parking"),
    "lockers": _l("Lockers"),
    "showers": _l("Showers"),
    "phone_booth": _l("Phone booth"),
    "projector": _l("Projector"),
    "accessible": _l("Step-free access"),
    "wheelchair": _l("Wheelchair access"),
    "air_conditioning": _l("Air conditioning"),
    "24h": _l("Open 24 hours"),
    "pets": _l("Pets welcome"),
}


def amenity_label(word: str) -> str:
    """``wifi`` → ``Wi-Fi``; ``meeting-pods`` → ``Meeting pods``."""
    key = str(word).strip().lower()
    if key in AMENITY_LABELS:
        return str(AMENITY_LABELS[key])
    text = key.replace("_", " ").replace("-", " ")
    return text[:1].upper() + text[1:]


# The kinds of resource of protocol.md §Entry types, in words, in the order of its list (which
# stays the one spelling of the kinds: a new kind without a label here fails at import).
KIND_LABELS = dict(
    zip(
        RESOURCE_KINDS,
        (_l("Hot desk"), _l("Fixed desk"), _l("Meeting room"), _l("Office")),
        strict=True,
    )
)


def kind_label(kind: str) -> str:
    """``"meeting_room"`` → ``"Meeting room"`` (``"Sala riunioni"`` in Italian)."""
    label = KIND_LABELS.get(kind)
    return str(label) if label is not None else formats.resource_kind_label(kind)


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
