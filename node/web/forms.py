"""Between HTML forms and the services: form fields → the service's input, records → form fields,
and the services' validation messages → one message per form field.

The services (their marshmallow schemas, then the protocol's body schemas) stay the judges of what
is valid. This module only does what a form needs and JSON does not: turn ``"25.50"`` into minor
units, decimal degrees into millionths, text lines into lists, with :mod:`node.formats`, the
grammar the CLI uses too. When it cannot do that it says so itself, naming the field, before any
service runs.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from node import formats
from node.errors import InvalidInput
from node.messages import N_, joined

FormData = Mapping[str, str]
T = TypeVar("T")


class FormErrors(Exception):
    """Fields the form layer could not turn into service input: ``{field: message}``, with
    ``data``, the service input made of the other fields (so they can be checked too)."""

    def __init__(self, errors: dict[str, str], data: dict[str, Any]) -> None:
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))  # for logs
        self.errors = errors
        self.data = {k: v for k, v in data.items() if _FIELD_NAMES.get(k, k) not in errors}


def _text(form: FormData, name: str) -> str:
    """The field's text, stripped, with a textarea's CR LF line breaks (as browsers send them)
    turned into LF: *multi-line text* ends lines with LF alone (protocol.md §Entry types)."""
    return newlines((form.get(name) or "").strip())


def newlines(text: str) -> str:
    """``text`` with CR LF and lone CR line breaks written as LF."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


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


def _parsed(
    form: FormData, name: str, errors: dict[str, str], parse: Callable[..., T], *args: Any
) -> T | None:
    """``parse(field text, *args)``; None for an empty field, or when refused (the message is
    put in ``errors`` under the field's name)."""
    text = _text(form, name)
    if not text:
        return None
    try:
        return parse(text, *args)
    except InvalidInput as exc:
        errors[name] = exc.detail
        return None


# -- profile ------------------------------------------------------------------------------------

PROFILE_TEXT_FIELDS = ("description", "address", "city", "district")
CONTACT_FIELDS = ("email", "phone", "url")


def profile_changes(form: FormData) -> dict[str, Any]:
    """The profile form as a change for :func:`node.services.space.update_profile`."""
    errors: dict[str, str] = {}
    changes: dict[str, Any] = {"name": _text(form, "name"), "timezone": _text(form, "timezone")}
    for name in PROFILE_TEXT_FIELDS:
        changes[name] = _optional(form, name)
    changes["country"] = (_optional(form, "country") or "").upper() or None
    lat, lon = _text(form, "latitude"), _text(form, "longitude")
    if bool(lat) != bool(lon):
        errors["latitude" if not lat else "longitude"] = N_("give both latitude and longitude")
    elif lat:
        changes["latitude_e6"] = _parsed(form, "latitude", errors, formats.parse_latitude)
        changes["longitude_e6"] = _parsed(form, "longitude", errors, formats.parse_longitude)
    else:
        changes["latitude_e6"] = changes["longitude_e6"] = None
    try:
        hours = formats.parse_opening_hours(form.get("opening_hours") or "")
        changes["opening_hours"] = hours or None
    except InvalidInput as exc:
        errors["opening_hours"] = exc.detail
    changes["amenities"] = formats.parse_items(form.get("amenities") or "") or None
    contact = {k: v for k in CONTACT_FIELDS if (v := _text(form, f"contact_{k}"))}
    changes["contact"] = contact or None
    links = []
    for number, line in enumerate(_lines(form, "links"), start=1):
        try:
            links.append(formats.parse_link(line))
        except InvalidInput as exc:
            errors["links"] = N_("line %(number)s: %(message)s", number=number, message=exc.detail)
            break
    changes["links"] = links or None
    if errors:
        raise FormErrors(errors, changes)
    return changes


def profile_form(profile: Mapping[str, Any]) -> dict[str, str]:
    """Form fields pre-filled from the current profile."""
    form = {k: str(profile.get(k) or "") for k in ("name", "timezone", "country")}
    form.update({k: str(profile.get(k) or "") for k in PROFILE_TEXT_FIELDS})
    for name in ("latitude", "longitude"):
        form[name] = formats.degrees_text(profile.get(f"{name}_e6"))
    form["opening_hours"] = formats.opening_hours_text(profile.get("opening_hours") or [])
    form["amenities"] = "\n".join(profile.get("amenities") or [])
    contact = profile.get("contact") or {}
    form.update({f"contact_{k}": str(contact.get(k) or "") for k in CONTACT_FIELDS})
    form["links"] = formats.links_text(profile.get("links") or [])
    return form


# -- resources ----------------------------------------------------------------------------------


def resource_data(form: FormData) -> dict[str, Any]:
    """The resource form as input for ``add_resource``/``update_resource``."""
    errors: dict[str, str] = {}
    currency = _parsed(form, "currency", errors, formats.parse_currency)
    data: dict[str, Any] = {
        "kind": _parsed(form, "kind", errors, formats.parse_resource_kind) or _text(form, "kind"),
        "name": _text(form, "name"),
        "description": _optional(form, "description"),
        "capacity": _integer(form, "capacity"),
        "currency": currency,
        "price_hour_minor": _parsed(form, "price_hour", errors, formats.parse_money, currency),
        "price_day_minor": _parsed(form, "price_day", errors, formats.parse_money, currency),
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
        "price_hour": formats.money_text(body.get("price_hour_minor"), currency),
        "price_day": formats.money_text(body.get("price_day_minor"), currency),
    }


# -- events -------------------------------------------------------------------------------------


def event_data(form: FormData) -> dict[str, Any]:
    """The event form as input for ``add_event``/``update_event``."""
    errors: dict[str, str] = {}
    currency = _parsed(form, "currency", errors, formats.parse_currency)
    data: dict[str, Any] = {
        "title": _text(form, "title"),
        "description": _optional(form, "description"),
        "start": formats.local_time_input(_text(form, "start")),
        "end": formats.local_time_input(_text(form, "end")),
        "timezone": _text(form, "timezone"),
        "capacity": _integer(form, "capacity") if _text(form, "capacity") else None,
        "tags": formats.parse_tags(_text(form, "tags")) or None,
        "price_minor": _parsed(form, "price", errors, formats.parse_money, currency),
        "currency": currency,
        # One space per line: a space's name may hold commas.
        "cohosts": [
            line.strip() for line in (form.get("cohosts") or "").splitlines() if line.strip()
        ]
        or None,
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
        "price": formats.money_text(body.get("price_minor"), currency),
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


def _labelled(label: str | int, item: str, message: str) -> str:
    """``message`` under its label: a list position as a line (or rule) number, a key as is."""
    if isinstance(label, int):
        if item == "rule":
            return N_("rule %(number)s: %(message)s", number=label + 1, message=message)
        return N_("line %(number)s: %(message)s", number=label + 1, message=message)
    return N_("%(field)s: %(message)s", field=label, message=message)


def _words(messages: Any, item: str = "line") -> list[str]:
    """Nested marshmallow messages as texts; list positions become line (or rule) numbers."""
    if isinstance(messages, Mapping):
        return [
            _labelled(key, item, text)
            for key, value in messages.items()
            for text in _words(value, item)
        ]
    if isinstance(messages, list):
        out: list[str] = []
        for entry in messages:
            out += _words(entry, item) if isinstance(entry, Mapping | list) else [entry]
        return out
    return [messages if isinstance(messages, str) else str(messages)]


def service_errors(messages: Any) -> dict[str, str]:
    """``InvalidInput.extra['errors']`` as ``{form field: message}``."""
    if not isinstance(messages, Mapping):
        return {}
    out: dict[str, str] = {}
    for key, value in messages.items():
        if key == "contact" and isinstance(value, Mapping):
            for sub, sub_messages in value.items():
                out[f"contact_{sub}"] = joined(_words(sub_messages), " ")
            continue
        item = "rule" if key == "opening_hours" else "line"
        out[_FIELD_NAMES.get(str(key), str(key))] = joined(_words(value, item=item), " ")
    return out
