"""Between HTML forms and the services: form fields → the service's input, records → form fields,
and the services' validation messages → one message per form field.

The services (their marshmallow schemas, then the protocol's body schemas) stay the judges of what
is valid. This module only does what a form needs and JSON does not: turn ``"25.50"`` into minor
units, decimal degrees into millionths, text lines into lists. When it cannot do that it says so
itself, naming the field, before any service runs.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from federation.bodies import DAYS
from node.web.formatting import SHORT_DAY, currency_exponent, day_list, minor_to_major

FormData = Mapping[str, str]


class FormErrors(Exception):
    """Fields the form layer could not turn into service input: ``{field: message}``, with
    ``data``, the service input made of the other fields (so they can be checked too)."""

    def __init__(self, errors: dict[str, str], data: dict[str, Any]) -> None:
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors
        self.data = {k: v for k, v in data.items() if _FIELD_NAMES.get(k, k) not in errors}


def _text(form: FormData, name: str) -> str:
    return (form.get(name) or "").strip()


def _optional(form: FormData, name: str) -> str | None:
    """The stripped value, or None (which the services read as "clear this field")."""
    return _text(form, name) or None


def _lines(form: FormData, name: str) -> list[str]:
    return [line.strip() for line in (form.get(name) or "").splitlines() if line.strip()]


def _integer(form: FormData, name: str) -> Any:
    """An int when the field holds one; otherwise the text as typed, so the service's schema
    reports it (``Not a valid integer.``) like it would for the API."""
    value = _text(form, name)
    return int(value) if re.fullmatch(r"[+-]?\d{1,12}", value) else value


def parse_money(text: str, currency: str | None) -> int:
    """``"25.50"`` (or ``"25,50"``) in ``currency`` → minor units ``2550``."""
    exponent = currency_exponent(currency)
    try:
        amount = Decimal(text.replace(",", ".").replace(" ", ""))
    except InvalidOperation as exc:
        raise ValueError("use a number such as 12.50") from exc
    if not amount.is_finite() or amount < 0:
        raise ValueError("use a number such as 12.50")
    minor = amount.scaleb(exponent)
    if minor != minor.to_integral_value():
        raise ValueError(f"at most {exponent} decimals for {currency or 'this currency'}")
    return int(minor)


def _money(form: FormData, name: str, currency: str | None, errors: dict[str, str]) -> int | None:
    text = _text(form, name)
    if not text:
        return None
    try:
        return parse_money(text, currency)
    except ValueError as exc:
        errors[name] = str(exc)
        return None


def money_text(minor: int | None, currency: str | None) -> str:
    return "" if minor is None else str(minor_to_major(minor, currency))


# -- opening hours as text lines ----------------------------------------------------------------

_DAY_NAMES = {
    **{d.lower(): d for d in DAYS},
    **{SHORT_DAY[d].lower(): d for d in DAYS[:7]},
    # The two-letter names `spazi space set --hours` takes (Mo-Fr), so either spelling works.
    **{d[:2].lower(): d for d in DAYS[:7]},
    "ph": "PublicHolidays",
    "holidays": "PublicHolidays",
    "public holidays": "PublicHolidays",
}
_HOURS_LINE = re.compile(
    r"(?P<days>.+?)\s+(?:(?P<closed>closed)|(?P<opens>\d{1,2}:\d\d)\s*[-–]\s*(?P<closes>\d{1,2}:\d\d))"
    r"(?:\s+from\s+(?P<from>\d{4}-\d\d-\d\d))?(?:\s+(?:until|to)\s+(?P<until>\d{4}-\d\d-\d\d))?",
    re.IGNORECASE,
)
_FORM_DAY_NAMES = {**SHORT_DAY, "PublicHolidays": "PublicHolidays"}
HOURS_HELP = (
    "One line per rule: days, then hours, e.g. “Mon-Fri 08:00-20:00”, “Fri 18:00-02:00” (closes "
    "after midnight), “Sat,Sun 10:00-16:00”, “PublicHolidays closed from 2026-12-24 until "
    "2026-12-26”."
)


def _days(text: str) -> list[str]:
    days: list[str] = []
    for part in re.split(r"\s*,\s*", text.strip()):
        ends = re.split(r"\s*[-–]\s*", part)
        names = [_DAY_NAMES.get(e.lower()) for e in ends]
        if len(ends) > 2 or any(n is None for n in names):
            raise ValueError(f"unknown day {part!r}")
        if len(ends) == 2:
            first, last = DAYS.index(str(names[0])), DAYS.index(str(names[1]))
            if max(first, last) > 6:
                raise ValueError(f"day range {part!r} must be between days of the week")
            week = list(DAYS[:7])
            # Sat-Mon wraps over the weekend, as in the CLI.
            days.extend(
                week[first : last + 1] if first <= last else week[first:] + week[: last + 1]
            )
        else:
            days.append(str(names[0]))
    return [d for d in DAYS if d in days]  # week order, each once


def parse_opening_hours(text: str) -> list[dict[str, Any]]:
    """Text lines → OpeningHoursSpecification-like dicts (the service checks times and dates)."""
    specs, problems = [], []
    # One rule per line; ";" also separates rules, so the CLI's --hours text can be pasted.
    rules = [rule.strip() for line in text.splitlines() for rule in line.split(";")]
    for number, line in enumerate((r for r in rules if r), start=1):
        match = _HOURS_LINE.fullmatch(line)
        if match is None:
            problems.append(f"rule {number}: write days then hours, e.g. Mon-Fri 08:00-20:00")
            continue
        try:
            days = _days(match["days"])
        except ValueError as exc:
            problems.append(f"rule {number}: {exc}")
            continue
        if match["closed"]:
            opens, closes = "00:00", "00:00"  # schema.org's way of saying closed all day
        else:
            opens, closes = match["opens"].zfill(5), match["closes"].zfill(5)
        spec: dict[str, Any] = {"days": days, "opens": opens, "closes": closes}
        if match["from"]:
            spec["valid_from"] = match["from"]
        if match["until"]:
            spec["valid_through"] = match["until"]
        specs.append(spec)
    if problems:
        raise ValueError("; ".join(problems))
    return specs


def opening_hours_text(specs: list[dict[str, Any]]) -> str:
    """The inverse of :func:`parse_opening_hours`, for pre-filling the form."""
    lines = []
    for spec in specs:
        days = day_list(spec["days"], names=_FORM_DAY_NAMES, dash="-")
        if spec["opens"] == spec["closes"] == "00:00":
            line = f"{days} closed"
        else:
            line = f"{days} {spec['opens']}-{spec['closes']}"
        if spec.get("valid_from"):
            line += f" from {spec['valid_from']}"
        if spec.get("valid_through"):
            line += f" until {spec['valid_through']}"
        lines.append(line)
    return "\n".join(lines)


# -- profile ------------------------------------------------------------------------------------

PROFILE_TEXT_FIELDS = ("description", "address", "city")
CONTACT_FIELDS = ("email", "phone", "url")


def _degrees_e6(text: str, limit: int) -> int:
    try:
        value = Decimal(text.replace(",", "."))
    except InvalidOperation as exc:
        raise ValueError("use decimal degrees, e.g. 51.5074") from exc
    if not value.is_finite() or abs(value) > limit:
        raise ValueError(f"must be between -{limit} and {limit}")
    return int(value.scaleb(6).to_integral_value())


def profile_changes(form: FormData) -> dict[str, Any]:
    """The profile form as a change for :func:`node.services.space.update_profile`."""
    errors: dict[str, str] = {}
    changes: dict[str, Any] = {"name": _text(form, "name"), "timezone": _text(form, "timezone")}
    for name in PROFILE_TEXT_FIELDS:
        changes[name] = _optional(form, name)
    changes["country"] = (_optional(form, "country") or "").upper() or None
    lat, lon = _text(form, "latitude"), _text(form, "longitude")
    if bool(lat) != bool(lon):
        errors["latitude" if not lat else "longitude"] = "give both latitude and longitude"
    elif lat:
        for name, text, limit in (("latitude", lat, 90), ("longitude", lon, 180)):
            try:
                changes[f"{name}_e6"] = _degrees_e6(text, limit)
            except ValueError as exc:
                errors[name] = str(exc)
    else:
        changes["latitude_e6"] = changes["longitude_e6"] = None
    try:
        changes["opening_hours"] = parse_opening_hours(form.get("opening_hours") or "") or None
    except ValueError as exc:
        errors["opening_hours"] = str(exc)
    changes["amenities"] = _lines(form, "amenities") or None
    contact = {k: v for k in CONTACT_FIELDS if (v := _text(form, f"contact_{k}"))}
    changes["contact"] = contact or None
    links = []
    for number, line in enumerate(_lines(form, "links"), start=1):
        title, bar, url = line.rpartition("|")
        if not bar or not title.strip():
            errors["links"] = f"line {number}: write Title | https://…"
            break
        links.append({"title": title.strip(), "url": url.strip()})
    changes["links"] = links or None
    if errors:
        raise FormErrors(errors, changes)
    return changes


def profile_form(profile: Mapping[str, Any]) -> dict[str, str]:
    """Form fields pre-filled from the current profile."""
    form = {k: str(profile.get(k) or "") for k in ("name", "timezone", "country")}
    form.update({k: str(profile.get(k) or "") for k in PROFILE_TEXT_FIELDS})
    for name in ("latitude", "longitude"):
        value = profile.get(f"{name}_e6")
        form[name] = "" if value is None else str(Decimal(value).scaleb(-6).normalize())
    form["opening_hours"] = opening_hours_text(profile.get("opening_hours") or [])
    form["amenities"] = "\n".join(profile.get("amenities") or [])
    contact = profile.get("contact") or {}
    form.update({f"contact_{k}": str(contact.get(k) or "") for k in CONTACT_FIELDS})
    form["links"] = "\n".join(f"{x['title']} | {x['url']}" for x in profile.get("links") or [])
    return form


# -- resources ----------------------------------------------------------------------------------


def resource_data(form: FormData) -> dict[str, Any]:
    """The resource form as input for ``add_resource``/``update_resource``."""
    errors: dict[str, str] = {}
    currency = (_optional(form, "currency") or "").upper() or None
    data: dict[str, Any] = {
        "kind": _text(form, "kind"),
        "name": _text(form, "name"),
        "description": _optional(form, "description"),
        "capacity": _integer(form, "capacity"),
        "currency": currency,
        "price_hour_minor": _money(form, "price_hour", currency, errors),
        "price_day_minor": _money(form, "price_day", currency, errors),
    }
    if errors:
        raise FormErrors(errors, data)
    return data


def resource_form(body: Mapping[str, Any]) -> dict[str, str]:
    currency = body.get("currency")
    return {
        "kind": str(body.get("kind", "")),
        "name": str(body.get("name", "")),
        "description": str(body.get("description") or ""),
        "capacity": str(body.get("capacity", "")),
        "currency": str(currency or ""),
        "price_hour": money_text(body.get("price_hour_minor"), currency),
        "price_day": money_text(body.get("price_day_minor"), currency),
    }


# -- events -------------------------------------------------------------------------------------


def _local_time(form: FormData, name: str) -> str:
    """``datetime-local`` input (or a typed ``2026-12-01 09:00``) in the form the schema takes."""
    value = _text(form, name).replace(" ", "T", 1)
    # Browsers send seconds when the input has a step; whole minutes are what the page offers.
    if re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:00", value):
        value = value[:16]
    return value


def event_data(form: FormData) -> dict[str, Any]:
    """The event form as input for ``add_event``/``update_event``."""
    errors: dict[str, str] = {}
    currency = (_optional(form, "currency") or "").upper() or None
    tags = [t for t in re.split(r"[,\s]+", _text(form, "tags")) if t]
    data: dict[str, Any] = {
        "title": _text(form, "title"),
        "description": _optional(form, "description"),
        "start": _local_time(form, "start"),
        "end": _local_time(form, "end"),
        "timezone": _text(form, "timezone"),
        "capacity": _integer(form, "capacity") if _text(form, "capacity") else None,
        "tags": tags or None,
        "price_minor": _money(form, "price", currency, errors),
        "currency": currency,
        "cohosts": _lines(form, "cohosts") or None,
        "url": _optional(form, "url"),
    }
    if errors:
        raise FormErrors(errors, data)
    return data


def event_form(body: Mapping[str, Any]) -> dict[str, str]:
    currency = body.get("currency")
    return {
        "title": str(body.get("title", "")),
        "description": str(body.get("description") or ""),
        "start": str(body.get("start", ""))[:16],
        "end": str(body.get("end", ""))[:16],
        "timezone": str(body.get("timezone", "")),
        "capacity": str(body.get("capacity") or ""),
        "tags": ", ".join(body.get("tags") or []),
        "price": money_text(body.get("price_minor"), currency),
        "currency": str(currency or ""),
        "cohosts": "\n".join(body.get("cohosts") or []),
        "url": str(body.get("url") or ""),
    }


# -- service messages → form fields ---------------------------------------------------------------

# Schema field → form field, where they differ.
_FIELD_NAMES = {
    "latitude_e6": "latitude",
    "longitude_e6": "longitude",
    "price_hour_minor": "price_hour",
    "price_day_minor": "price_day",
    "price_minor": "price",
}


def _words(messages: Any, prefix: str = "", item: str = "line") -> list[str]:
    """Nested marshmallow messages as text; list positions become line (or rule) numbers."""
    if isinstance(messages, Mapping):
        out = []
        for key, value in messages.items():
            label = f"{item} {key + 1}" if isinstance(key, int) else str(key)
            out += _words(value, f"{prefix}{label}: ", item)
        return out
    if isinstance(messages, list):
        out = []
        for entry in messages:
            if isinstance(entry, Mapping | list):
                out += _words(entry, prefix, item)
            else:
                out.append(prefix + str(entry))
        return out
    return [prefix + str(messages)]


def service_errors(messages: Any) -> dict[str, str]:
    """``InvalidInput.extra['errors']`` as ``{form field: message}``."""
    if not isinstance(messages, Mapping):
        return {}
    out: dict[str, str] = {}
    for key, value in messages.items():
        if key == "contact" and isinstance(value, Mapping):
            for sub, sub_messages in value.items():
                out[f"contact_{sub}"] = " ".join(_words(sub_messages))
            continue
        item = "rule" if key == "opening_hours" else "line"
        out[_FIELD_NAMES.get(str(key), str(key))] = " ".join(_words(value, item=item))
    return out
