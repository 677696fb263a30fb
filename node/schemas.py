"""Marshmallow schemas for what people send the node (admin API and CLI share them).

They check types and shapes and give field-by-field messages; the protocol's own body schemas in
``federation.bodies`` remain the last gate before anything is signed.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from marshmallow import (
    RAISE,
    Schema,
    ValidationError,
    fields,
    validate,
    validates,
    validates_schema,
)

from federation.bodies import DAYS, RESOURCE_KINDS
from federation.keys import is_node_id
from federation.schema import ZONES, text_problem
from node.messages import N_

IDENT = validate.Regexp(
    r"^[A-Za-z0-9][A-Za-z0-9._\-]{0,63}$", error=N_("letters, digits, . _ - (max 64)")
)
URL = validate.URL(schemes={"http", "https"}, require_tld=False)


class Line(fields.String):
    """One-line *text* (protocol.md §Entry types): no control character, no line break or tab.

    Every string people send is checked here, published or not (members and tokens too): the
    database must be able to store it (PostgreSQL refuses NUL) and every page must show it.
    """

    lines = False

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> Any:
        text = super()._deserialize(value, attr, data, **kwargs)
        problem = text_problem(text, self.lines)
        if problem is not None:
            raise ValidationError(problem)
        return text


class Lines(Line):
    """Multi-line *text*: tab and line feed are allowed, other controls (and CR) are not."""

    lines = True


class StrictSchema(Schema):
    """Unknown fields are an error, never silently dropped."""

    class Meta:
        unknown = RAISE


def _timezone(value: str) -> None:
    # The protocol's fixed list, not the system's tz database (protocol.md §Entry types, *zone*).
    if value not in ZONES:
        raise ValidationError(N_("not a canonical IANA time zone, e.g. Europe/Rome or UTC"))


def _local_datetime(value: str) -> None:
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError as exc:
        raise ValidationError(N_("use YYYY-MM-DDTHH:MM (local time of the event)")) from exc
    if parsed.tzinfo is not None:
        raise ValidationError(
            N_("give local time without offset; the time zone is a separate field")
        )


def _node_id(value: str) -> None:
    if not is_node_id(value):
        raise ValidationError(N_("not a Spazi node id (did:key:z6Mk…)"))


class OpeningHoursSchema(StrictSchema):
    days = fields.List(Line(validate=validate.OneOf(DAYS)), required=True)
    opens = Line(required=True, validate=validate.Regexp(r"^([01]\d|2[0-3]):[0-5]\d$"))
    closes = Line(required=True, validate=validate.Regexp(r"^(([01]\d|2[0-3]):[0-5]\d|24:00)$"))
    valid_from = fields.Date(format="iso")
    valid_through = fields.Date(format="iso")


class ContactSchema(StrictSchema):
    email = fields.Email()
    phone = Line(validate=validate.Regexp(r"^[0-9+() .\-]{3,40}$"))
    url = Line(validate=URL)


class LinkSchema(StrictSchema):
    title = Line(required=True, validate=validate.Length(1, 100))
    url = Line(required=True, validate=URL)


class ProfileSchema(StrictSchema):
    """A change to the space profile; a field given as null is removed."""

    name = Line(validate=validate.Length(1, 200))
    description = Lines(allow_none=True, validate=validate.Length(max=5000))
    address = Line(allow_none=True, validate=validate.Length(max=500))
    city = Line(allow_none=True, validate=validate.Length(max=100))
    district = Line(allow_none=True, validate=validate.Length(1, 100))
    country = Line(
        allow_none=True,
        validate=validate.Regexp(
            r"^[A-Z]{2}$", error=N_("use an ISO 3166 code in capitals, e.g. IT")
        ),
    )
    timezone = Line(validate=_timezone)
    latitude_e6 = fields.Integer(
        strict=True, allow_none=True, validate=validate.Range(-90_000_000, 90_000_000)
    )
    longitude_e6 = fields.Integer(
        strict=True, allow_none=True, validate=validate.Range(-180_000_000, 180_000_000)
    )
    opening_hours = fields.List(fields.Nested(OpeningHoursSchema), allow_none=True)
    amenities = fields.List(Line(validate=validate.Length(1, 50)), allow_none=True)
    contact = fields.Nested(ContactSchema, allow_none=True)
    links = fields.List(fields.Nested(LinkSchema), allow_none=True)


PRICE_NEEDS_CURRENCY = N_("a price needs a currency, e.g. EUR")


def priced_without_currency(body: Mapping[str, Any], prices: tuple[str, ...]) -> bool:
    """Whether ``body`` holds an amount in one of ``prices`` but no currency."""
    return any(body.get(p) is not None for p in prices) and body.get("currency") is None


def _price_needs_currency(prices: tuple[str, ...]) -> Any:
    """A schema check: a price (any of ``prices`` holding an amount) needs a currency, reported
    on the currency field like every other field's error. A change (partial) is checked by its
    service once it is merged with what is stored (:func:`priced_without_currency`)."""

    @validates_schema
    def check(self: Schema, data: dict[str, Any], partial: Any = False, **_: Any) -> None:
        if not partial and priced_without_currency(data, prices):
            raise ValidationError(PRICE_NEEDS_CURRENCY, "currency")

    return check


class ResourceSchema(StrictSchema):
    id = Line(validate=IDENT)
    kind = Line(required=True, validate=validate.OneOf(RESOURCE_KINDS))
    name = Line(required=True, validate=validate.Length(1, 200))
    description = Lines(allow_none=True, validate=validate.Length(max=5000))
    capacity = fields.Integer(strict=True, required=True, validate=validate.Range(1, 10_000))
    price_hour_minor = fields.Integer(
        strict=True, allow_none=True, validate=validate.Range(0, 10**9)
    )
    price_day_minor = fields.Integer(
        strict=True, allow_none=True, validate=validate.Range(0, 10**9)
    )
    currency = Line(
        allow_none=True,
        validate=validate.Regexp(
            r"^[A-Z]{3}$", error=N_("use an ISO 4217 code in capitals, e.g. EUR")
        ),
    )
    _priced = _price_needs_currency(("price_hour_minor", "price_day_minor"))


class EventSchema(StrictSchema):
    id = Line(validate=IDENT)
    title = Line(required=True, validate=validate.Length(1, 200))
    description = Lines(allow_none=True, validate=validate.Length(max=5000))
    start = Line(required=True, validate=_local_datetime)
    end = Line(required=True, validate=_local_datetime)
    timezone = Line(validate=_timezone)
    capacity = fields.Integer(strict=True, allow_none=True, validate=validate.Range(1, 100_000))
    tags = fields.List(
        Line(validate=validate.Regexp(r"^[^\s,]{1,40}$")),
        allow_none=True,
        validate=validate.Length(max=20),
    )
    price_minor = fields.Integer(strict=True, allow_none=True, validate=validate.Range(0, 10**9))
    currency = Line(
        allow_none=True,
        validate=validate.Regexp(
            r"^[A-Z]{3}$", error=N_("use an ISO 4217 code in capitals, e.g. EUR")
        ),
    )
    cohosts = fields.List(
        Line(validate=_node_id), allow_none=True, validate=validate.Length(max=20)
    )
    url = Line(allow_none=True, validate=URL)
    _priced = _price_needs_currency(("price_minor",))

    @validates_schema
    def _end_after_start(self, data: dict[str, Any], **_: Any) -> None:
        if "start" in data and "end" in data:
            try:
                if datetime.fromisoformat(data["end"]) <= datetime.fromisoformat(data["start"]):
                    raise ValidationError(N_("end must be after start"), "end")
            except ValueError:
                return  # the field validators already reported the format


class CancelSchema(StrictSchema):
    reason = Lines(validate=validate.Length(max=500))


class MemberSchema(StrictSchema):
    name = Line(required=True, validate=validate.Length(1, 200))
    email = fields.Email(required=True)
    plan = Line(load_default="", validate=validate.Length(max=100))


class TokenSchema(StrictSchema):
    name = Line(required=True, validate=validate.Length(1, 100))


class EventQuerySchema(StrictSchema):
    """Filters of the events list (query string)."""

    start = fields.Date(
        data_key="from", error_messages={"invalid": N_("use a date like 2026-12-01")}
    )
    end = fields.Date(data_key="to", error_messages={"invalid": N_("use a date like 2026-12-31")})
    tag = Line(validate=validate.Length(1, 40))
    city = Line(validate=validate.Length(1, 100))
    district = Line(validate=validate.Length(1, 100))
    include_cancelled = fields.Boolean(load_default=True)
    # The API's pages (node/paging.py): at most MAX_PAGE events each, the next one ``after``.
    limit = fields.Integer(strict=False, validate=validate.Range(1, 200))
    after = Line(validate=validate.Length(1, 600))

    @validates("tag")
    def _lower(self, value: str, **_: Any) -> None:
        if "," in value:
            raise ValidationError(N_("one tag at a time"))
